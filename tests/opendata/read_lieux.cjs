// Read the standard's rows (JSON array on stdin) as the national map's own model
// library does, and print the models it builds (JSON on stdout); an error exits 1.
// Usage: node tests/opendata/read_lieux.cjs < lieux.json   (tests/opendata/test_read_back.py)
const { fromSchemaLieuxDeMediationNumerique } = require("@gouvfr-anct/lieux-de-mediation-numerique");

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  try {
    const lieux = fromSchemaLieuxDeMediationNumerique(JSON.parse(input));
    process.stdout.write(JSON.stringify(lieux));
  } catch (error) {
    process.stderr.write(`${error.name}: ${error.message}\n`);
    process.exit(1);
  }
});

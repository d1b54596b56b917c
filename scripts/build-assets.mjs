// Copy the front-end libraries that passnum serves from node_modules into static/vendor/.
// Run by `npm run build` (and so by `make run` / `make test`); static/vendor/ is not
// committed: it is rebuilt from package-lock.json on every machine.
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const vendor = join(root, "static", "vendor");

// [source in node_modules, file name in static/vendor]
const FILES = [
  ["jsqr/dist/jsQR.js", "jsQR.js"],
  ["jsqr/LICENSE", "jsQR.LICENSE.txt"],
];

mkdirSync(vendor, { recursive: true });
let missing = 0;
for (const [source, target] of FILES) {
  const from = join(root, "node_modules", source);
  if (!existsSync(from)) {
    console.error(`missing ${relative(root, from)}: run "npm ci" first`);
    missing += 1;
    continue;
  }
  copyFileSync(from, join(vendor, target));
  console.log(`static/vendor/${target} <- node_modules/${source}`);
}
process.exit(missing ? 1 : 0);

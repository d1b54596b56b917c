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
  // the directory's map: Leaflet (its stylesheet finds the marker images in images/)
  ["leaflet/dist/leaflet.js", "leaflet/leaflet.js"],
  ["leaflet/dist/leaflet.css", "leaflet/leaflet.css"],
  ["leaflet/dist/images/marker-icon.png", "leaflet/images/marker-icon.png"],
  ["leaflet/dist/images/marker-icon-2x.png", "leaflet/images/marker-icon-2x.png"],
  ["leaflet/dist/images/marker-shadow.png", "leaflet/images/marker-shadow.png"],
  ["leaflet/dist/images/layers.png", "leaflet/images/layers.png"],
  ["leaflet/dist/images/layers-2x.png", "leaflet/images/layers-2x.png"],
  ["leaflet/LICENSE", "leaflet/LICENSE.txt"],
  // and its marker clusters
  ["leaflet.markercluster/dist/leaflet.markercluster.js", "leaflet/leaflet.markercluster.js"],
  ["leaflet.markercluster/dist/MarkerCluster.css", "leaflet/MarkerCluster.css"],
  ["leaflet.markercluster/dist/MarkerCluster.Default.css", "leaflet/MarkerCluster.Default.css"],
  ["leaflet.markercluster/MIT-LICENCE.txt", "leaflet/leaflet.markercluster.LICENSE.txt"],
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
  mkdirSync(dirname(join(vendor, target)), { recursive: true });
  copyFileSync(from, join(vendor, target));
  console.log(`static/vendor/${target} <- node_modules/${source}`);
}
process.exit(missing ? 1 : 0);

// Adds lockfile entries for optional platform packages this registry does not
// carry (other operating systems' native binaries, e.g. @swc/core-darwin-arm64).
// npm install leaves them out when the registry answers 404, and `npm ci` then
// refuses the lockfile as out of sync. The entries are marked optional: npm ci
// tries them, skips them on this platform, and installs them where they exist.
// Run after any `npm install`: npm run lockfile:fix
const fs = require('node:fs');
const path = require('node:path');

const file = path.join(__dirname, '..', '..', 'package-lock.json');
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const packages = lock.packages;
let added = 0;
for (const [location, entry] of Object.entries(packages)) {
  for (const [name, spec] of Object.entries(entry.optionalDependencies ?? {})) {
    // Resolution walks up node_modules folders from the dependent.
    let dir = location;
    let found = false;
    for (;;) {
      const candidate = `${dir ? `${dir}/` : ''}node_modules/${name}`;
      if (packages[candidate]) {
        found = true;
        break;
      }
      if (!dir) break;
      const index = dir.lastIndexOf('/node_modules/');
      dir = index >= 0 ? dir.slice(0, index) : '';
    }
    if (!found) {
      packages[`node_modules/${name}`] = { version: spec.replace(/^[\^~=]/, ''), dev: entry.dev || undefined, optional: true };
      added++;
    }
  }
}
fs.writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`lockfile: ${added} optional platform entries added`);

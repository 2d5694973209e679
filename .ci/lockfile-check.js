// Checks, without the registry, that each package.json given agrees with the package-lock.json beside it,
// so that `npm ci` installs exactly what package.json declares. `npm ci` never rewrites a lockfile; when the
// two disagree it stops with a long message, so this step says first what went wrong and what to do.
//
//   node .ci/lockfile-check.js [dir ...]     (default: the current directory)
'use strict';
const fs = require('fs');
const path = require('path');

const FIELDS = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'];
let failed = false;

for (const dir of process.argv.length > 2 ? process.argv.slice(2) : ['.']) {
  const manifestFile = path.join(dir, 'package.json');
  const lockFile = path.join(dir, 'package-lock.json');
  const problems = [];
  if (!fs.existsSync(lockFile)) {
    problems.push(`${lockFile} is missing`);
  } else {
    const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
    const lock = JSON.parse(fs.readFileSync(lockFile, 'utf8'));
    const root = (lock.packages ?? {})[''];
    if (lock.lockfileVersion < 2 || root === undefined) {
      problems.push(`lockfileVersion ${lock.lockfileVersion} has no root package entry (npm 7 or later writes one)`);
    } else {
      for (const field of FIELDS) {
        const want = manifest[field] ?? {};
        const have = root[field] ?? {};
        for (const name of new Set([...Object.keys(want), ...Object.keys(have)])) {
          if (want[name] !== have[name]) {
            problems.push(`${field}.${name}: package.json has ${want[name] ?? '(none)'}, package-lock.json has ${have[name] ?? '(none)'}`);
          } else if (field !== 'peerDependencies' && lock.packages[`node_modules/${name}`] === undefined) {
            problems.push(`${field}.${name} is declared but package-lock.json has no node_modules/${name}`);
          }
        }
      }
    }
  }
  if (problems.length > 0) {
    failed = true;
    console.error(`${manifestFile} and ${lockFile} disagree:`);
    problems.forEach(p => console.error(`  - ${p}`));
    console.error(`To fix: in ${path.resolve(dir)}, run \`rm -rf node_modules && npm install\` (it resolves what package.json`);
    console.error('declares and writes the lockfile from an empty node_modules), run the tests, and commit package-lock.json.');
  } else {
    console.log(`${lockFile} agrees with ${manifestFile}`);
  }
}
process.exit(failed ? 1 : 0);

// Fails when the working tree differs from the last commit: a changed committed file, or a file that is
// neither committed nor ignored. Optional paths limit the check. Used by the `ci` task after the build
// and after the CRD import.
//
//   node .ci/git-clean.js "<what ran>" [path ...]
'use strict';
const { execFileSync } = require('child_process');

const [what, ...paths] = process.argv.slice(2);
const git = args => execFileSync('git', [...args, '--', ...paths], { encoding: 'utf8' });
const changed = git(['diff', '--stat']);
const status = git(['status', '--porcelain']);
if (changed.trim() === '' && status.trim() === '') {
  console.log(`${what} left the working tree${paths.length ? ` (${paths.join(' ')})` : ''} as committed`);
  process.exit(0);
}
console.error(`${what} changed or added files that are not committed:`);
console.error(status.trimEnd());
console.error(changed.trimEnd());
console.error('Run the same command locally, read the diff, and commit what belongs (or ignore it in .projenrc.ts).');
process.exit(1);

// The benchmark: run with `npx projen bench` (compiles and packs first). Prints one table of
// medians over fresh processes, as ratios against baselines measured in the same run.
// Exits non-zero only when something could not be measured.
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const root = path.join(__dirname, '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const SIZES = (process.env.BENCH_SIZES ?? '10,100,1000').split(',').map(Number);

function node(args, opts = {}) {
  return execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...opts });
}
const median = xs => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const fmt = (x, d = 1) => Number(x).toFixed(d);
const version = p => JSON.parse(fs.readFileSync(path.join(root, 'node_modules', p, 'package.json'), 'utf8')).version;

const rows = [];
const row = (what, value, baseline, ratio, target) => rows.push([what, value, baseline, ratio, target ?? '']);

// 1. synth time and peak memory, in two layouts, against two baselines
const manifests = path.join(os.tmpdir(), `bench-manifests-${process.pid}.json`);
const synthRun = (variant, layout, n) => JSON.parse(node([path.join(__dirname, 'synth-app.js'), variant, layout, String(n), manifests]));
const synth = {};
const LAYOUTS = [
  ['teams', SIZES, RUNS],
  // one chart per service: cdk8s validates the whole app once per chart
  ['per-service', (process.env.BENCH_PER_SERVICE_SIZES ?? '100,1000').split(',').map(Number), Math.min(RUNS, 3)],
];
for (const [layout, sizes, runs] of LAYOUTS) {
  for (const n of sizes) {
    const by = { 'library': [], 'plus-raw': [], 'raw': [] };
    for (let r = 0; r < runs; r++) {
      for (const variant of Object.keys(by)) {
        by[variant].push(synthRun(variant, layout, n));
      }
    }
    const lib = by.library[0];
    for (const variant of ['plus-raw', 'raw']) {
      const other = by[variant][0];
      if (lib.docs !== other.docs || lib.bytes !== other.bytes) {
        throw new Error(`${variant} does not write the same manifests (${layout}, N=${n}): ${lib.docs}/${lib.bytes} vs ${other.docs}/${other.bytes}`);
      }
    }
    const med = (variant, key) => median(by[variant].map(x => x[key]));
    const l = { ms: med('library', 'ms'), mb: med('library', 'maxRssMb') };
    synth[`${layout}/${n}`] = l;
    const charts = layout === 'teams' ? Math.min(10, n) : n;
    const target = n === 1000 ? (layout === 'teams' ? '<= 1.1' : '<= 1.5') : '';
    row(`${layout} N=${n} (${charts} charts, ${lib.docs} docs): time`, `${fmt(l.ms, 0)} ms`,
      `${fmt(med('plus-raw', 'ms'), 0)} ms (plus + raw)`, fmt(l.ms / med('plus-raw', 'ms'), 2), target);
    row(`  against all raw ApiObjects`, '', `${fmt(med('raw', 'ms'), 0)} ms (raw)`, fmt(l.ms / med('raw', 'ms'), 2));
    row(`  peak RSS`, `${fmt(l.mb, 0)} MB`, `${fmt(med('plus-raw', 'maxRssMb'), 0)} MB (plus + raw)`, fmt(l.mb / med('plus-raw', 'maxRssMb'), 2));
  }
}
// 5. lint: `cdk8s-secure-serving lint` on the library's own output of the largest teams app
// (every kind of front door, for N services), against the synth of that app
{
  const n = Math.max(...SIZES);
  synthRun('library', 'teams', n); // records its documents
  const docs = JSON.parse(fs.readFileSync(manifests, 'utf8')).flatMap(svc => svc.all);
  const file = path.join(os.tmpdir(), `bench-lint-${process.pid}.yaml`);
  fs.writeFileSync(file, docs.map(d => JSON.stringify(d)).join('\n---\n'));
  const xs = [];
  let summary = '';
  for (let r = 0; r < Math.min(RUNS, 3); r++) {
    const t = process.hrtime.bigint();
    const out = node([path.join(root, 'lib', 'src', 'lint', 'cli.js'), 'lint', '--fail-on', 'error', file]);
    xs.push(Number(process.hrtime.bigint() - t) / 1e6);
    summary = out.trim().split('\n').pop();
  }
  fs.rmSync(file, { force: true });
  const doors = /(\d+) front doors/.exec(summary)?.[1];
  const base = synth[`teams/${n}`].ms;
  row(`lint teams N=${n} (${docs.length} docs, ${doors} doors; no error)`, `${fmt(median(xs), 0)} ms`, `${fmt(base, 0)} ms (its synth)`, fmt(median(xs) / base, 2), '<= 6');
}
fs.rmSync(manifests, { force: true });
if (synth['teams/100'] && synth['teams/1000']) {
  const g = synth['teams/1000'].ms / synth['teams/100'].ms;
  row('teams growth N=100 -> N=1000', `${fmt(g, 1)}x`, '10x (linear)', fmt(g / 10, 2), '<= 11x');
}

// 2. cold load
const loadMs = mod => {
  const xs = [];
  for (let r = 0; r < Math.max(RUNS, 7); r++) {
    xs.push(Number(node(['-e', `const t=process.hrtime.bigint();require(${JSON.stringify(mod)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`])));
  }
  return median(xs);
};
const libLoad = loadMs(path.join(root, 'lib', 'src', 'index.js'));
const plusLoad = loadMs('cdk8s-plus-27');
row('cold require()', `${fmt(libLoad, 0)} ms`, `${fmt(plusLoad, 0)} ms (cdk8s-plus-27)`, fmt(libLoad / plusLoad, 2), '<= 1.5');

// 3. bcrypt
const bcrypt = JSON.parse(node(['-e', `
const lib = require(${JSON.stringify(path.join(root, 'lib', 'src', 'index.js'))});
const { App, Chart, Testing } = require('cdk8s');
const per = [];
for (let i = 0; i < 5; i++) { const t = process.hrtime.bigint(); lib.BasicAuthUser.fromPassword('u' + i, 'password-' + i); per.push(Number(process.hrtime.bigint() - t) / 1e6); }
const t1 = process.hrtime.bigint(); lib.BasicAuthUser.fromPassword('u0', 'password-0'); const again = Number(process.hrtime.bigint() - t1) / 1e6;
const t2 = process.hrtime.bigint();
const chart = new Chart(new App(), 'c', { namespace: 'ns' });
new lib.TraefikBasicAuthIngress(chart, 'i', { hosts: ['a.example.com'], backend: lib.Backend.fromName('svc', 80),
  users: Array.from({ length: 50 }, (_, k) => lib.BasicAuthUser.fromPassword('user' + k, 'pw-' + k)),
  tls: lib.TlsTermination.atProxy(lib.TlsCertificate.fromTraefikCertResolver('le')) });
Testing.synth(chart);
const fifty = Number(process.hrtime.bigint() - t2) / 1e6;
per.sort((a, b) => a - b);
process.stdout.write(JSON.stringify({ per: per[2], again, fifty }));
`]));
row('bcrypt fromPassword, cost 10', `${fmt(bcrypt.per, 0)} ms/user`, '', '');
row('same user again (cached)', `${fmt(bcrypt.again, 3)} ms`, `${fmt(bcrypt.per, 0)} ms`, fmt(bcrypt.again / bcrypt.per, 4), 'no repeated bcrypt');
row('chart with 50 users', `${fmt(bcrypt.fifty, 0)} ms`, `${fmt(50 * bcrypt.per, 0)} ms (50 x bcrypt)`, fmt(bcrypt.fifty / (50 * bcrypt.per), 2));

// 4. package size
const tgz = fs.readdirSync(path.join(root, 'dist', 'js')).filter(f => f.endsWith('.tgz')).map(f => path.join(root, 'dist', 'js', f))[0];
if (!tgz) throw new Error('no tarball in dist/js: run npx projen package:js');
const tarSize = fs.statSync(tgz).size;
const unpacked = execFileSync('tar', ['tzvf', tgz], { encoding: 'utf8' }).split('\n').filter(Boolean)
  .reduce((sum, line) => sum + Number(line.trim().split(/\s+/)[2] || 0), 0);
// cdk8s-plus-27's published tarball, as npm reports it (asks the registry, downloads nothing)
const [plus] = JSON.parse(execFileSync('npm', ['pack', `cdk8s-plus-27@${version('cdk8s-plus-27')}`, '--dry-run', '--json'],
  { encoding: 'utf8', cwd: os.tmpdir(), stdio: ['ignore', 'pipe', 'ignore'] }));
row('npm tarball', `${fmt(tarSize / 1e6, 2)} MB`, `${fmt(plus.size / 1e6, 2)} MB (cdk8s-plus-27)`, fmt(tarSize / plus.size, 2), '<= 3 MB');
row('unpacked', `${fmt(unpacked / 1e6, 2)} MB`, `${fmt(plus.unpackedSize / 1e6, 2)} MB (cdk8s-plus-27)`, fmt(unpacked / plus.unpackedSize, 2));

const cpus = os.cpus();
console.log(`cdk8s-secure-serving benchmark, ${new Date().toISOString().slice(0, 10)}`);
console.log(`machine: ${cpus.length} x ${cpus[0]?.model ?? 'cpu'}, ${fmt(os.totalmem() / 2 ** 30, 0)} GiB, ${os.platform()} ${os.release()}`);
console.log(`node ${process.version}, cdk8s ${version('cdk8s')}, cdk8s-plus-27 ${version('cdk8s-plus-27')}, constructs ${version('constructs')}; medians of ${RUNS} fresh processes`);
console.log('');
const header = ['measure', 'library', 'baseline', 'ratio', 'target'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => String(r[i]).length)));
const line = r => `| ${r.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
console.log(line(header));
console.log(`|${widths.map(w => '-'.repeat(w + 2)).join('|')}|`);
rows.forEach(r => console.log(line(r)));

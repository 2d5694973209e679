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

// 1. synth time and peak memory
const manifests = path.join(os.tmpdir(), `bench-manifests-${process.pid}.json`);
const synth = {};
for (const n of SIZES) {
  const lib = [];
  const base = [];
  for (let r = 0; r < RUNS; r++) {
    lib.push(JSON.parse(node([path.join(__dirname, 'synth-app.js'), 'library', String(n), manifests])));
    base.push(JSON.parse(node([path.join(__dirname, 'synth-app.js'), 'baseline', String(n), manifests])));
  }
  if (lib[0].docs !== base[0].docs || lib[0].bytes !== base[0].bytes) {
    throw new Error(`baseline does not write the same manifests at N=${n}: ${lib[0].docs}/${lib[0].bytes} vs ${base[0].docs}/${base[0].bytes}`);
  }
  const l = { ms: median(lib.map(x => x.ms)), mb: median(lib.map(x => x.maxRssMb)), docs: lib[0].docs };
  const b = { ms: median(base.map(x => x.ms)), mb: median(base.map(x => x.maxRssMb)) };
  synth[n] = l;
  row(`synth N=${n} (${l.docs} docs): time`, `${fmt(l.ms, 0)} ms`, `${fmt(b.ms, 0)} ms`, fmt(l.ms / b.ms, 2), n === 1000 ? '<= 1.5' : '');
  row(`synth N=${n}: peak RSS`, `${fmt(l.mb, 0)} MB`, `${fmt(b.mb, 0)} MB`, fmt(l.mb / b.mb, 2));
}
fs.rmSync(manifests, { force: true });
if (synth[100] && synth[1000]) {
  row('synth growth N=100 -> N=1000', `${fmt(synth[1000].ms / synth[100].ms, 1)}x`, '10x (linear)', fmt(synth[1000].ms / synth[100].ms / 10, 2), '<= 11x');
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
new lib.TraefikBasicAuthIngress(chart, 'i', { host: 'a.example.com', backend: lib.Backend.fromName('svc', 80),
  users: Array.from({ length: 50 }, (_, k) => lib.BasicAuthUser.fromPassword('user' + k, 'pw-' + k)), tls: lib.TraefikTls.certResolver('le') });
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

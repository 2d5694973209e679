// One benchmark run in this (fresh) process: builds an app of N secured services, spread over
// TEAMS charts (one namespace each), synthesizes it to YAML, and prints
// {ms, maxRssMb, docs, bytes} as JSON. The chart count is fixed: cdk8s re-validates the whole
// app once per chart, so an app with one chart per service is quadratic in cdk8s itself.
//   node bench/synth-app.js library|baseline N [manifests.json]
// "library": each service is a cdk8s-plus Deployment + Service and one of the library's front
// doors, in rotation. "baseline": the same manifests (read from manifests.json, written by a
// library run) as raw cdk8s ApiObjects: the floor of what cdk8s itself costs.
'use strict';
const fs = require('fs');
const path = require('path');
const [variant, nText, manifestsFile] = process.argv.slice(2);
const n = Number(nText);
const TEAMS = 10;
const t0 = process.hrtime.bigint();
const { App, Chart, ApiObject } = require('cdk8s');

function libraryApp(app) {
  const kplus = require('cdk8s-plus-27');
  const lib = require(path.join(__dirname, '..', 'lib', 'src', 'index.js'));
  // One user for every basic-auth ingress: the same user costs one bcrypt per synth.
  const user = lib.BasicAuthUser.fromPassword('scorer', 'bench-password');
  const charts = Array.from({ length: TEAMS }, (_, t) => new Chart(app, `team${t}`, { namespace: `team${t}` }));
  for (let i = 0; i < n; i++) {
    const chart = new (require('constructs').Construct)(charts[i % TEAMS], `svc${i}`);
    const kind = Math.floor(i / TEAMS) % 4; // every team gets every kind of front door
    if (kind === 3) {
      new lib.MeshIsolatedInferenceService(chart, `model${i}`, {
        namespace: `model${i}`,
        modelFormat: 'sklearn', storageUri: `gs://models/m${i}`, resources: { cpuRequest: '1', memoryLimit: '2Gi' },
      });
      continue;
    }
    const deployment = new kplus.Deployment(chart, 'server', {
      containers: [{ image: 'example/model-server:1.0.0', portNumber: 8500 }],
    });
    const service = deployment.exposeViaService({ ports: [{ port: 8500, name: 'grpc' }] });
    const backend = lib.Backend.fromService(service);
    const host = `svc${i}.example.com`;
    if (kind === 0) {
      new lib.TraefikBasicAuthIngress(chart, 'ingress', { host, backend, users: [user], tls: lib.TraefikTls.certResolver('le') });
    } else if (kind === 1) {
      new lib.IstioGrpcIngress(chart, 'ingress', {
        hosts: [host], backend, tls: lib.IstioTls.atLoadBalancer(),
        jwt: { issuer: 'https://issuer.example.com', jwksUri: 'https://issuer.example.com/jwks' },
      });
    } else {
      new lib.IstioExternalAuthorization(chart, 'authz', {
        provider: { name: 'dex', service: 'authservice.istio-system.svc.cluster.local', port: 8080 },
        exempt: { hosts: [host], jwt: { issuer: 'https://kubernetes.default.svc.cluster.local', jwksUri: 'https://kubernetes.default.svc.cluster.local/openid/v1/jwks' } },
      });
    }
  }
}

function baselineApp(app) {
  const byChart = JSON.parse(fs.readFileSync(manifestsFile, 'utf8'));
  byChart.forEach((docs, i) => {
    const chart = new Chart(app, `team${i}`);
    docs.forEach((doc, j) => new ApiObject(chart, `o${j}`, doc));
  });
}

const app = new App({ outdir: fs.mkdtempSync(path.join(require('os').tmpdir(), 'bench-')) });
if (variant === 'library') {
  libraryApp(app);
} else if (variant === 'baseline') {
  baselineApp(app);
} else {
  throw new Error(`unknown variant ${variant}`);
}
// One validation and dependency pass for the whole app, as `cdk8s synth` does.
const yaml = app.synthYaml();
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
const docs = require('yaml').parseAllDocuments(yaml).map(d => d.toJSON()).filter(d => d !== null);
if (variant === 'library' && manifestsFile) {
  // The same documents, grouped by chart as the library wrote them, for the baseline.
  const byChart = [];
  let next = 0;
  for (const chart of app.charts) {
    const count = chart.node.findAll().filter(c => c instanceof ApiObject).length;
    byChart.push(docs.slice(next, next + count));
    next += count;
  }
  fs.writeFileSync(manifestsFile, JSON.stringify(byChart));
}
fs.rmSync(app.outdir, { recursive: true, force: true });
process.stdout.write(JSON.stringify({
  ms, maxRssMb: process.resourceUsage().maxRSS / 1024, docs: docs.length, bytes: Buffer.byteLength(yaml),
}));

// One benchmark run in this (fresh) process: builds an app of N secured services, synthesizes it
// to YAML, and prints {ms, maxRssMb, docs, bytes} as JSON.
//   node bench/synth-app.js library|plus-raw|raw teams|per-service N manifests.json
//
// Layouts: "teams" spreads the services over 10 charts (one namespace each); "per-service" gives
// every service a chart of its own. cdk8s 2.70 validates and resolves the whole app once per chart,
// so the second layout costs charts x constructs in cdk8s itself.
//
// Variants (all write the same documents; a library run records them in manifests.json):
// - "library": each service is a cdk8s-plus Deployment + Service behind one of the library's front
//   doors, in rotation (or a MeshIsolatedInferenceService).
// - "plus-raw": the same cdk8s-plus Deployments and Services, and the front doors' documents as raw
//   ApiObjects: what the library itself costs, and nothing of cdk8s-plus.
// - "raw": every document as a raw ApiObject: the floor of what cdk8s costs.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');

const [variant, layout, nText, manifestsFile] = process.argv.slice(2);
const n = Number(nText);
const TEAMS = 10;
if (!['library', 'plus-raw', 'raw'].includes(variant) || !['teams', 'per-service'].includes(layout) || !(n > 0) || !manifestsFile) {
  throw new Error('usage: synth-app.js library|plus-raw|raw teams|per-service N manifests.json');
}
const t0 = process.hrtime.bigint();
const { App, Chart, ApiObject, JsonPatch } = require('cdk8s');

const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'bench-')) });
const chartCount = layout === 'teams' ? Math.min(TEAMS, n) : n;
const charts = Array.from({ length: chartCount }, (_, c) => new Chart(app, `c${c}`, { namespace: `team${c % TEAMS}` }));
const scopeOf = i => new (require('constructs').Construct)(charts[i % chartCount], `svc${i}`);
// every team gets every kind of front door
const kindOf = i => Math.floor(i / TEAMS) % 4;

/** The model server of service i (cdk8s-plus), as the library variant and plus-raw write it. */
function workload(kplus, scope) {
  const deployment = new kplus.Deployment(scope, 'server', {
    containers: [{ image: 'example/model-server:1.0.0', portNumber: 8500 }],
  });
  return deployment.exposeViaService({ ports: [{ port: 8500, name: 'grpc' }] });
}

function libraryApp() {
  const kplus = require('cdk8s-plus-27');
  const lib = require(path.join(__dirname, '..', 'lib', 'src', 'index.js'));
  // One user for every basic-auth ingress: the same user costs one bcrypt per synth.
  const user = lib.BasicAuthUser.fromPassword('scorer', 'bench-password');
  const doors = [];
  for (let i = 0; i < n; i++) {
    const scope = scopeOf(i);
    const kind = kindOf(i);
    if (kind === 3) {
      doors.push(new lib.MeshIsolatedInferenceService(scope, `model${i}`, {
        namespace: `model${i}`,
        modelFormat: 'sklearn', storageUri: `gs://models/m${i}`, resources: { cpuRequest: '1', memoryLimit: '2Gi' },
      }));
      continue;
    }
    const backend = lib.Backend.fromService(workload(kplus, scope));
    const host = `svc${i}.example.com`;
    if (kind === 0) {
      doors.push(new lib.TraefikBasicAuthIngress(scope, 'ingress', {
        hosts: [host], backend, users: [user], tls: lib.TlsTermination.atProxy(lib.TlsCertificate.fromTraefikCertResolver('le')),
        traefikPods: { namespace: 'traefik', selector: { 'app.kubernetes.io/name': 'traefik' } },
      }));
    } else if (kind === 1) {
      doors.push(new lib.IstioGrpcIngress(scope, 'ingress', {
        hosts: [host], backend, gateway: lib.IstioGateway.create({ tls: lib.TlsTermination.atLoadBalancer() }),
        jwt: { issuer: 'https://issuer.example.com', jwks: lib.JwksSource.fromUri('https://issuer.example.com/jwks'), audiences: lib.JwtAudiences.of([`svc${i}`]) },
        acknowledgeGatewayWideJwt: true,
      }));
    } else {
      // Istio applies one CUSTOM provider per workload: each authorizer fronts its own gateway pods.
      doors.push(new lib.IstioExternalAuthorization(scope, 'authz', {
        provider: { name: 'dex', service: 'authservice.istio-system.svc.cluster.local', port: 8080 },
        gatewayPods: { namespace: 'istio-system', selector: { istio: `ingressgateway-${i}` } },
        exemptions: [{
          hosts: [host],
          jwt: {
            issuer: 'https://kubernetes.default.svc.cluster.local',
            jwks: lib.JwksSource.fromUri('https://kubernetes.default.svc.cluster.local/openid/v1/jwks'),
            audiences: lib.JwtAudiences.of([`svc${i}`]),
          },
        }],
        acknowledgeGatewayWideJwt: true,
      }));
    }
  }
  return doors;
}

/** The recorded documents, by service: those of its front door, and all of them. */
const recorded = () => JSON.parse(fs.readFileSync(manifestsFile, 'utf8'));

/** A raw ApiObject for a recorded document; cluster-scoped ones (Namespace) keep no namespace, as written. */
function raw(scope, id, doc) {
  const o = new ApiObject(scope, id, doc);
  if (doc.metadata?.namespace === undefined && Chart.of(scope).namespace !== undefined) {
    o.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
  }
  return o;
}

function plusRawApp() {
  const kplus = require('cdk8s-plus-27');
  recorded().forEach((svc, i) => {
    const scope = scopeOf(i);
    if (kindOf(i) !== 3) {
      workload(kplus, scope);
    }
    svc.frontDoor.forEach((doc, j) => raw(scope, `o${j}`, doc));
  });
}

function rawApp() {
  recorded().forEach((svc, i) => {
    const scope = scopeOf(i);
    svc.all.forEach((doc, j) => raw(scope, `o${j}`, doc));
  });
}

let doors;
if (variant === 'library') {
  doors = libraryApp();
} else if (variant === 'plus-raw') {
  plusRawApp();
} else {
  rawApp();
}
// One validation and dependency pass for the whole app, as `cdk8s synth` does.
const yaml = app.synthYaml();
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
const docs = require('yaml').parseAllDocuments(yaml).map(d => d.toJSON()).filter(d => d !== null);
if (variant === 'library') {
  // Per service: the documents of its front door, and every document of its scope.
  const json = o => JSON.parse(JSON.stringify(o.toJson()));
  const objectsOf = c => c.node.findAll().filter(x => x instanceof ApiObject);
  const byService = doors.map((door, i) => {
    const scope = door.node.scope;
    return { frontDoor: objectsOf(door).map(json), all: objectsOf(scope).map(json) };
  });
  fs.writeFileSync(manifestsFile, JSON.stringify(byService.map((s, i) => ({ ...s, i }))));
}
fs.rmSync(app.outdir, { recursive: true, force: true });
process.stdout.write(JSON.stringify({
  ms, maxRssMb: process.resourceUsage().maxRSS / 1024, docs: docs.length, bytes: Buffer.byteLength(yaml),
}));

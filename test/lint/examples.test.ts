/**
 * The library's own output passes its linter: the example app's charts (examples/, as
 * `cdk8s synth` builds them) produce no finding. What the library writes on purpose and a rule
 * flags is suppressed with its reason, and listed. The attack matrix ran on every front door.
 */
import { App, Chart, Testing, Yaml } from 'cdk8s';
import { addExampleCharts } from '../../examples/app';
import { lint, LintReport } from '../../src/lint/_lint';
import { parseManifests } from '../../src/lint/_load';

/** The example app of examples/main.ts, one manifest file per chart. */
function exampleApp(): App {
  const app = new App();
  addExampleCharts(app);
  return app;
}

let report: LintReport;
beforeAll(async () => {
  const app = exampleApp();
  const charts = app.node.children.filter((c): c is Chart => c instanceof Chart);
  report = await lint(charts.flatMap(c => parseManifests(Yaml.stringify(...Testing.synth(c)), `${c.node.id}.k8s.yaml`)));
});

test('no finding', () => {
  expect(report.findings.map(f => `${f.manifest.file}: ${f.rule.id}: ${f.message}`)).toEqual([]);
  expect(report.documents).toBeGreaterThan(50);
});

test('the attack matrix ran on every front door of the examples', () => {
  const planes = report.doors.map(d => d.replace(/^.* via /, '').replace(/ \(.*$/, '').replace(/ for Gateway .*$/, ''));
  expect([...new Set(planes)].sort()).toEqual([
    'Envoy Gateway',
    'Traefik',
    'the Envoy bootstrap in data["envoy.yaml"], listener https',
    'the Istio gateway pods {istio=tfy-istio-ingress} in istio-system',
  ]);
  expect(report.doors.some(d => d.startsWith('https://ml.example.com/ via the Istio gateway'))).toBe(true);
});

test('what the library writes on purpose is suppressed, with the reason, and listed', () => {
  expect(report.suppressed.map(f => `${f.rule.id} ${f.manifest.doc.kind} ${f.manifest.doc.metadata.name}`).sort()).toEqual([
    'credentials-in-clear WasmPlugin ml-api-basic-auth',
    'gateway-hosts-any-namespace Gateway knative-local-gateway',
    'gateway-hosts-any-namespace Gateway kserve-local-gateway',
    expect.stringMatching(/^kserve-activator-in-path InferenceService sklearn-iris-burst$/),
  ]);
  for (const f of report.suppressed) {
    expect(f.suppressed!.length).toBeGreaterThan(20);
  }
});

test('the example names what clients and tools refer to as the seeds do', () => {
  const app = exampleApp();
  const docs = app.node.children.filter((c): c is Chart => c instanceof Chart).flatMap(c => Testing.synth(c));
  const names = new Set(docs.map(d => `${d.kind} ${d.metadata.namespace ?? ''}/${d.metadata.name}`));
  for (const expected of [
    'Gateway istio-system/tfy-wildcard', // seed 000: the shared Gateway
    'VirtualService ml-services/ml-api',
    'Service bookstore/envoy', // seed 002: clients call envoy.bookstore
    'Deployment bookstore/envoy',
    'IngressRoute bos-rf/bos-rf-ingress', // seed 001
    'Secret bos-rf/bos-rf-secret',
    'Gateway istio-system/kserve-local-gateway', // seed 003
    'Service istio-system/kserve-local-gateway',
    'Gateway knative-serving/knative-local-gateway',
    'AuthorizationPolicy istio-system/dex-auth', // seed 004
  ]) {
    expect([...names]).toContain(expected);
  }
  // The certificates the seeds name: seed 002's envoy-certs mounted by the proxy, seed 003's on the local gateway.
  const envoy = docs.find(d => d.kind === 'Deployment' && d.metadata.name === 'envoy');
  expect(envoy.spec.template.spec.volumes).toContainEqual(expect.objectContaining({ secret: expect.objectContaining({ secretName: 'envoy-certs' }) }));
  const local = docs.find(d => d.kind === 'Gateway' && d.metadata.name === 'kserve-local-gateway');
  expect(local.spec.servers[0].tls.credentialName).toBe('kserve-cluster-local-tls');
  // One object per kind, namespace and name.
  expect(names.size).toBe(docs.length);
});

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
    'the Istio gateway pods {istio=ingressgateway} in istio-system',
  ]);
  expect(report.doors.some(d => d.startsWith('https://ml.example.com/ via the Istio gateway'))).toBe(true);
});

test('what the library writes on purpose is suppressed, with the reason, and listed', () => {
  expect(report.suppressed.map(f => `${f.rule.id} ${f.manifest.doc.kind} ${f.manifest.doc.metadata.name}`).sort()).toEqual([
    expect.stringMatching(/^credentials-in-clear WasmPlugin istio-grpc-ml-api-basicauth-/),
    'gateway-hosts-any-namespace Gateway knative-local-gateway',
    'gateway-hosts-any-namespace Gateway kserve-local-gateway',
    expect.stringMatching(/^kserve-activator-in-path InferenceService sklearn-iris-burst$/),
  ]);
  for (const f of report.suppressed) {
    expect(f.suppressed!.length).toBeGreaterThan(20);
  }
});

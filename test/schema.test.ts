import { ApiObject, Testing } from 'cdk8s';
import { expectValidManifests, validateDocuments } from './schema';

const vs = (spec: any, apiVersion = 'networking.istio.io/v1') => ({
  apiVersion, kind: 'VirtualService', metadata: { name: 'vs', namespace: 'ml' }, spec,
});
const goodVs = { hosts: ['a.example.com'], http: [{ route: [{ destination: { host: 'svc', port: { number: 80 } } }], timeout: '30s' }] };

function errorsOf(doc: any): string[] {
  return validateDocuments([doc])[0].errors;
}

describe('custom resources', () => {
  test('a valid VirtualService has no errors', () => {
    expect(errorsOf(vs(goodVs))).toEqual([]);
  });
  test('catches an unknown field, naming its path', () => {
    const doc = vs({ ...goodVs, http: [{ ...goodVs.http[0], retrys: { attempts: 3 } }] });
    expect(errorsOf(doc)).toEqual(['/spec/http/0: unknown field "retrys"']);
  });
  test('catches an unknown top-level field', () => {
    expect(errorsOf({ ...vs(goodVs), extra: true })).toEqual(['/: unknown field "extra"']);
  });
  test('catches an unknown metadata field', () => {
    const doc = vs(goodVs);
    (doc.metadata as any).label = { a: 'b' };
    expect(errorsOf(doc)).toEqual(['/metadata: unknown field "label"']);
  });
  test('catches a wrong type', () => {
    const doc = vs({ ...goodVs, hosts: 'a.example.com' });
    expect(errorsOf(doc)).toEqual(['/spec/hosts: must be array']);
  });
  test('catches a wrong enum value', () => {
    const doc = { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'p' }, spec: { mtls: { mode: 'STRICTEST' } } };
    expect(errorsOf(doc)).toEqual([expect.stringMatching(/^\/spec\/mtls\/mode: must be equal to one of the allowed values \(.*STRICT.*\)$/)]);
  });
  test('catches a missing required field', () => {
    const doc = vs({ hosts: ['a.example.com'], http: [{ route: [{ destination: { port: { number: 80 } } }] }] });
    expect(errorsOf(doc)).toEqual(["/spec/http/0/route/0/destination: must have required property 'host'"]);
  });
  test('catches an unserved version', () => {
    expect(errorsOf(vs(goodVs, 'networking.istio.io/v2'))).toEqual([
      'networking.istio.io/v2 is not a served version of VirtualService (served: v1, v1alpha3, v1beta1)',
    ]);
  });
  test('catches a kind the group does not define', () => {
    expect(errorsOf({ ...vs(goodVs), kind: 'VirtualRouter' })).toEqual([expect.stringMatching(/^no CustomResourceDefinition for kind VirtualRouter in group networking.istio.io/)]);
  });
  test('honours x-kubernetes-int-or-string: an integer and a string are both accepted, a boolean is not', () => {
    const route = (port: any) => ({
      apiVersion: 'traefik.io/v1alpha1',
      kind: 'IngressRoute',
      metadata: { name: 'r' },
      spec: { entryPoints: ['websecure'], routes: [{ match: 'Host(`a.example.com`)', kind: 'Rule', services: [{ name: 's', port }] }] },
    });
    expect(errorsOf(route(8000))).toEqual([]);
    expect(errorsOf(route('http'))).toEqual([]);
    expect(errorsOf(route(true)).length).toBeGreaterThan(0);
  });
  test('honours x-kubernetes-preserve-unknown-fields: WasmPlugin pluginConfig is free-form', () => {
    const doc = {
      apiVersion: 'extensions.istio.io/v1alpha1',
      kind: 'WasmPlugin',
      metadata: { name: 'w' },
      spec: { url: 'oci://example.com/plugin:1', pluginConfig: { anything: [{ goes: true }] } },
    };
    expect(errorsOf(doc)).toEqual([]);
    expect(errorsOf({ ...doc, spec: { ...doc.spec, notAField: 1 } })).toEqual(['/spec: unknown field "notAField"']);
  });
  test('validates the full KServe InferenceService schema', () => {
    const isvc = {
      apiVersion: 'serving.kserve.io/v1beta1',
      kind: 'InferenceService',
      metadata: { name: 'sklearn-iris' },
      spec: { predictor: { model: { modelFormat: { name: 'sklearn' }, storageUri: 'gs://bucket/model' } } },
    };
    expect(errorsOf(isvc)).toEqual([]);
    expect(errorsOf({ ...isvc, spec: { predictor: { model: { ...isvc.spec.predictor.model, storageURI: 'x' } } } }))
      .toEqual(['/spec/predictor/model: unknown field "storageURI"']);
  });
});

describe('core kinds', () => {
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd', labels: { app: 'd' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'd' } },
      template: {
        metadata: { labels: { app: 'd' } },
        spec: { containers: [{ name: 'c', image: 'nginx:1.27', resources: { limits: { cpu: '500m', memory: '1Gi' } } }] },
      },
    },
  };
  test('a valid Deployment has no errors', () => {
    expect(errorsOf(deployment)).toEqual([]);
  });
  test('catches an unknown field deep in a container', () => {
    const doc = JSON.parse(JSON.stringify(deployment));
    doc.spec.template.spec.containers[0].imagePolicy = 'Always';
    expect(errorsOf(doc)).toEqual([expect.stringMatching(/\/spec\/template\/spec\/containers\/0.*imagePolicy/)]);
  });
  test('catches a wrong type', () => {
    expect(errorsOf({ ...deployment, spec: { ...deployment.spec, replicas: '2' } })).toEqual([expect.stringMatching(/\/spec\/replicas/)]);
  });
  test('catches a missing required field', () => {
    const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ name: 'http' }] } };
    expect(errorsOf(svc)).toEqual([expect.stringMatching(/\/spec\/ports\/0.*port/)]);
  });
  test('a sub-type is not a kind; group-named client models are found (events.k8s.io/v1 Event)', () => {
    expect(errorsOf({ apiVersion: 'apps/v1', kind: 'DeploymentSpec', metadata: { name: 'x' } })).toEqual(['no schema for apps/v1/DeploymentSpec']);
    const event = { apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name: 'e' }, eventTime: '2026-01-01T00:00:00.000000Z', note: 'n' };
    expect(errorsOf(event)).toEqual([]);
    expect(errorsOf({ ...event, notes: 'x' })).toEqual(['/: unknown field "notes"']);
  });
  test('a kind nobody knows is a failure, not a pass', () => {
    expect(errorsOf({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } })).toEqual([expect.stringMatching(/no schema for example.com\/v1\/Widget/)]);
  });
});

describe('expectValidManifests', () => {
  test('passes a synthesized chart and fails one with a bad object, listing the error', () => {
    const chart = Testing.chart();
    new ApiObject(chart, 'vs', vs(goodVs));
    expectValidManifests(Testing.synth(chart));
    new ApiObject(chart, 'bad', { ...vs({ ...goodVs, tcp: 'x' }), metadata: { name: 'bad' } });
    expect(() => expectValidManifests(Testing.synth(chart))).toThrow('networking.istio.io/v1 VirtualService bad: /spec/tcp: must be array');
  });
  test('fails when there is nothing to validate', () => {
    expect(() => expectValidManifests([])).toThrow('no documents to validate');
  });
});

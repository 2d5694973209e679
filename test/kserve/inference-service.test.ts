import { Testing } from 'cdk8s';
import {
  KServeDeploymentMode, KServeProtocolVersion, MeshIsolatedInferenceService, MeshIsolatedInferenceServiceProps,
} from '../../src';
import { expectValidManifests } from '../schema';
import { docsOf, newChart, oneOf, SECOND_LOCALE, synthInFreshProcess } from '../util';

const IRIS = 'gs://kfserving-examples/models/sklearn/1.0/model';

function build(props: Partial<MeshIsolatedInferenceServiceProps> = {}, id = 'sklearn-iris') {
  const chart = newChart('user1');
  const isvc = new MeshIsolatedInferenceService(chart, id, { modelFormat: 'sklearn', storageUri: IRIS, ...props });
  return { isvc, docs: Testing.synth(chart) };
}

describe('Knative mode, activator bypassed (the default)', () => {
  const { isvc, docs } = build();

  test('the default child is the InferenceService; all documents schema-valid (full KServe CRD)', () => {
    expect(isvc.node.defaultChild).toBe(isvc.inferenceService);
    expect(docs.map(d => d.kind)).toEqual(['Namespace', 'PeerAuthentication', 'AuthorizationPolicy', 'InferenceService']);
    expectValidManifests(docs);
    expect(docs).toMatchSnapshot();
  });

  test('the namespace has sidecar injection on', () => {
    expect(oneOf(docs, 'Namespace').metadata).toEqual({ name: 'user1', labels: { 'istio-injection': 'enabled' } });
  });

  test('STRICT mTLS for the model\'s pods', () => {
    expect(oneOf(docs, 'PeerAuthentication').spec).toEqual({
      selector: { matchLabels: { 'serving.kserve.io/inferenceservice': 'sklearn-iris' } },
      mtls: { mode: 'STRICT' },
    });
  });

  test('ALLOW only the same namespace, and knative-serving only on probe and metrics paths', () => {
    const ap = oneOf(docs, 'AuthorizationPolicy');
    expect(ap.metadata.namespace).toBe('user1');
    expect(ap.spec).toEqual({
      selector: { matchLabels: { 'serving.kserve.io/inferenceservice': 'sklearn-iris' } },
      action: 'ALLOW',
      rules: [
        { from: [{ source: { namespaces: ['user1'] } }] },
        { from: [{ source: { namespaces: ['knative-serving'] } }], to: [{ operation: { paths: ['/metrics', '/healthz', '/ready', '/wait-for-drain'] } }] },
      ],
    });
  });

  test('the InferenceService: stable name, Knative mode, activator off the path, sidecar label, min 1', () => {
    const is = oneOf(docs, 'InferenceService');
    expect(is.metadata).toEqual({
      name: 'sklearn-iris',
      namespace: 'user1',
      annotations: { 'serving.kserve.io/deploymentMode': 'Knative', 'autoscaling.knative.dev/targetBurstCapacity': '0' },
    });
    expect(is.spec).toEqual({
      predictor: {
        labels: { 'sidecar.istio.io/inject': 'true' },
        minReplicas: 1,
        model: { modelFormat: { name: 'sklearn' }, storageUri: IRIS },
      },
    });
  });
});

describe('Knative mode with the activator on the path', () => {
  const { docs } = build({ bypassActivator: false, createNamespace: false }, 'sklearn-iris-burst');
  test('no targetBurstCapacity; knative-serving allowed on every path (isolation does not hold)', () => {
    expect(docsOf(docs, 'Namespace')).toHaveLength(0);
    const is = oneOf(docs, 'InferenceService');
    // No targetBurstCapacity; the opt-in is recorded for the linter as the reason of a suppression.
    expect(is.metadata.annotations).toEqual({
      'serving.kserve.io/deploymentMode': 'Knative',
      'lint.cdk8s-secure-serving.dev/kserve-activator-in-path': expect.stringMatching(/^bypassActivator: false: /),
    });
    expect(oneOf(docs, 'AuthorizationPolicy').spec.rules).toContainEqual({ from: [{ source: { namespaces: ['knative-serving'] } }] });
    expectValidManifests(docs);
    expect(docs).toMatchSnapshot();
  });
});

describe('Standard mode', () => {
  const { docs } = build({
    deploymentMode: KServeDeploymentMode.STANDARD,
    allowedPrincipals: ['cluster.local/ns/model-clients/sa/scorer'],
    allowedNamespaces: ['monitoring'],
  });
  test('no Knative annotations or rules; a caller\'s principal and extra namespaces allowed', () => {
    const is = oneOf(docs, 'InferenceService');
    expect(is.metadata.annotations).toEqual({ 'serving.kserve.io/deploymentMode': 'Standard' });
    expect(oneOf(docs, 'AuthorizationPolicy').spec.rules).toEqual([
      { from: [{ source: { namespaces: ['monitoring', 'user1'] } }] },
      { from: [{ source: { principals: ['cluster.local/ns/model-clients/sa/scorer'] } }] },
    ]);
    expect(JSON.stringify(docs)).not.toContain('knative');
    expectValidManifests(docs);
    expect(docs).toMatchSnapshot();
  });
});

test('acknowledgeSharedCallers allows a gateway\'s identity, by name', () => {
  const principal = 'cluster.local/ns/istio-system/sa/kserve-local-gateway';
  const { docs } = build({ allowedPrincipals: [principal], allowedNamespaces: ['istio-system'], acknowledgeSharedCallers: true });
  expect(oneOf(docs, 'AuthorizationPolicy').spec.rules).toContainEqual({ from: [{ source: { principals: [principal] } }] });
  expectValidManifests(docs);
});

describe('model options', () => {
  test('runtime, protocol, replicas, service account, resources with GPUs', () => {
    const { docs } = build({
      name: 'llm',
      runtime: 'kserve-huggingfaceserver',
      modelFormat: 'huggingface',
      modelFormatVersion: '1',
      storageUri: 'hf://org/model',
      protocolVersion: KServeProtocolVersion.GRPC_V2,
      minReplicas: 2,
      maxReplicas: 4,
      serviceAccountName: 'model-reader',
      resources: { cpuRequest: '2', cpuLimit: '4', memoryRequest: '8Gi', memoryLimit: '16Gi', gpus: 1 },
    });
    const is = oneOf(docs, 'InferenceService');
    expect(is.metadata.name).toBe('llm');
    expect(is.spec.predictor).toMatchObject({ minReplicas: 2, maxReplicas: 4, serviceAccountName: 'model-reader' });
    expect(is.spec.predictor.model).toEqual({
      modelFormat: { name: 'huggingface', version: '1' },
      runtime: 'kserve-huggingfaceserver',
      storageUri: 'hf://org/model',
      protocolVersion: 'grpc-v2',
      resources: {
        requests: { 'cpu': '2', 'memory': '8Gi', 'nvidia.com/gpu': 1 },
        limits: { 'cpu': '4', 'memory': '16Gi', 'nvidia.com/gpu': 1 },
      },
    });
    expectValidManifests(docs);
  });

  test('scale to zero only when accepted', () => {
    const { docs } = build({ minReplicas: 0, acceptScaleToZero: true });
    expect(oneOf(docs, 'InferenceService').spec.predictor.minReplicas).toBe(0);
  });

  test('the same props give the same YAML in two fresh processes, under two locales', () => {
    const a = synthInFreshProcess('kserve');
    expect(a).toContain('kind: InferenceService');
    expect(synthInFreshProcess('kserve', SECOND_LOCALE)).toBe(a);
  }, 60_000);
});

describe('bad input', () => {
  const cases: [string, Partial<MeshIsolatedInferenceServiceProps>, string | RegExp][] = [
    ['fails a name that is not a DNS-1035 label', { name: '1-iris' }, 'MeshIsolatedInferenceService test/sklearn-iris: invalid name "1-iris": expected a DNS-1035 label'],
    ['fails no model format', { modelFormat: '' }, 'invalid modelFormat "": expected a non-empty string'],
    ['fails a storage URI with an unknown scheme', { storageUri: 'ftp://models/iris' }, 'invalid storageUri "ftp://models/iris": expected a URI with scheme gs, s3, pvc, hf, https'],
    ['fails an unknown protocol version', { protocolVersion: 'v3' as KServeProtocolVersion }, 'invalid protocolVersion "v3": expected one of KServeProtocolVersion.V1 ("v1"), KServeProtocolVersion.V2 ("v2"), KServeProtocolVersion.GRPC_V1 ("grpc-v1"), KServeProtocolVersion.GRPC_V2 ("grpc-v2")'],
    ['fails min > max replicas', { minReplicas: 3, maxReplicas: 2 }, 'invalid minReplicas 3: expected at most maxReplicas (2)'],
    ['fails negative replicas', { minReplicas: -1 }, 'invalid minReplicas -1: expected an integer from 0 to 10000'],
    ['fails min replicas 0 with isolation unless accepted', { minReplicas: 0 }, /invalid minReplicas 0: expected at least 1: scaling from zero puts the activator back/],
    ['fails a Knative-only option in Standard mode', { deploymentMode: KServeDeploymentMode.STANDARD, bypassActivator: true },
      'invalid bypassActivator true: expected no bypassActivator in Standard mode'],
    ['fails scale to zero in Standard mode', { deploymentMode: KServeDeploymentMode.STANDARD, minReplicas: 0 }, 'invalid minReplicas 0: expected at least 1 in Standard mode'],
    ['fails an allowed namespace that is not a DNS label', { allowedNamespaces: ['Team_A'] }, 'invalid allowedNamespaces[0] "Team_A"'],
    ['fails a malformed principal', { allowedPrincipals: ['istio-ingressgateway'] }, 'invalid allowedPrincipals[0] "istio-ingressgateway"'],
    ['fails the ingress gateway\'s principal, which every caller of the gateways carries',
      { allowedPrincipals: ['cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account'] },
      /invalid allowedPrincipals\[0\] "cluster.local\/ns\/istio-system\/sa\/istio-ingressgateway-service-account": expected the identity of a caller of the model, not of a gateway .*acknowledgeSharedCallers: true/],
    ['fails a gateway service account in another namespace', { allowedPrincipals: ['cluster.local/ns/ingress/sa/public-gateway'] }, /invalid allowedPrincipals\[0\]/],
    ['fails knative-serving as an allowed namespace', { allowedNamespaces: ['knative-serving'] },
      /invalid allowedNamespaces\[0\] "knative-serving": expected another namespace: the activator in knative-serving carries every caller's request/],
    ['fails istio-system as an allowed namespace', { allowedNamespaces: ['istio-system'] }, /invalid allowedNamespaces\[0\] "istio-system": expected a namespace of callers of the model/],
    ['fails allowed namespaces given as one string', { allowedNamespaces: 'team-a' as any }, 'invalid allowedNamespaces "team-a": expected a list'],
    ['fails isolating the model into a platform namespace', { namespace: 'kube-system' }, /invalid namespace "kube-system": expected a namespace of its own/],
    ['fails a bad quantity', { resources: { memoryLimit: '4 GB' } }, 'invalid resources.memoryLimit "4 GB": expected a positive Kubernetes quantity'],
    ['fails a GPU resource without GPUs', { resources: { gpuResource: 'amd.com/gpu' } }, 'invalid resources.gpuResource "amd.com/gpu"'],
  ];
  test.each(cases)('%s', (_name, props, message) => {
    expect(() => build(props)).toThrow(message);
  });
  test('fails a second Namespace for the same namespace', () => {
    const chart = newChart('user1');
    new MeshIsolatedInferenceService(chart, 'a', { modelFormat: 'sklearn', storageUri: IRIS });
    expect(() => new MeshIsolatedInferenceService(chart, 'b', { modelFormat: 'sklearn', storageUri: IRIS }))
      .toThrow('invalid createNamespace true: expected false: test/a already creates namespace "user1"');
  });
  test('fails without a namespace', () => {
    const chart = newChart(null);
    expect(() => new MeshIsolatedInferenceService(chart, 'm', { modelFormat: 'sklearn', storageUri: IRIS })).toThrow('invalid namespace undefined');
  });
});

import * as fc from 'fast-check';
import { dns1035Label, dnsLabel, dnsSubdomain, hostname, shortLabel, text } from './_arbitraries';
import { BAD_DNS_LABELS, BAD_DNS_SUBDOMAINS, integerMutations, labelMutations, sparseListMutations } from './_mutations';
import {
  checkInvalidSpecs, checkValidSpecs, ConstructCase, DELETE, expectChecksCatchBrokenCases, Mutation, mutation, mutationsOf, NAMESPACE, props,
  propsMutations,
} from './_support';
import { KServeDeploymentMode, KServeProtocolVersion, MeshIsolatedInferenceService } from '../../src';

const CLASS = 'MeshIsolatedInferenceService';
const TIMEOUT = 120_000;
const SYSTEM = ['istio-system', 'knative-serving', 'kserve', 'kube-node-lease', 'kube-public', 'kube-system'];
const SHARED = ['istio-ingress', 'istio-system', 'kube-system'];

/** A positive quantity and its value, in a unit of `units`. */
function quantity(units: { [suffix: string]: number }): fc.Arbitrary<{ text: string; value: number }> {
  return fc.tuple(fc.integer({ min: 1, max: 5000 }), fc.constantFrom(...Object.keys(units)), fc.constantFrom('', '.5', '.25'))
    .map(([n, unit, fraction]) => ({ text: `${n}${unit === '' ? fraction : ''}${unit}`, value: (n + (unit === '' && fraction ? Number(fraction) : 0)) * units[unit] }));
}
const CPU = { 'm': 0.001, '': 1, 'k': 1000 };
const MEMORY = { '': 1, 'k': 1e3, 'M': 1e6, 'G': 1e9, 'Ki': 2 ** 10, 'Mi': 2 ** 20, 'Gi': 2 ** 30 };

/** A request and a limit, the request at most the limit; either may be left out. */
function requestAndLimit(units: { [suffix: string]: number }, request: string, limit: string): fc.Arbitrary<any> {
  return fc.tuple(quantity(units), quantity(units), fc.constantFrom('both', 'request', 'limit')).map(([a, b, which]) => {
    const [low, high] = a.value <= b.value ? [a, b] : [b, a];
    return { ...(which !== 'limit' ? { [request]: low.text } : {}), ...(which !== 'request' ? { [limit]: high.text } : {}) };
  });
}

const resources = fc.tuple(
  requestAndLimit(CPU, 'cpuRequest', 'cpuLimit'),
  requestAndLimit(MEMORY, 'memoryRequest', 'memoryLimit'),
  fc.oneof(fc.constant({}), fc.constant({ gpus: 0 }), props({ gpus: fc.integer({ min: 1, max: 64 }) }, {
    gpuResource: fc.oneof(fc.constantFrom('nvidia.com/gpu', 'amd.com/gpu'), fc.tuple(dnsSubdomain, shortLabel).map(([d, n]) => `${d}/${n}`)),
  })),
).map(([a, b, c]) => ({ ...a, ...b, ...c }));

const principal = fc.tuple(fc.constantFrom('cluster.local', 'td.example.com', 'spiffe-td'), shortLabel, dnsSubdomain)
  .map(([td, ns, sa]) => `${td}/ns/${ns}/sa/${sa}`);

function specs(knative: boolean): fc.Arbitrary<any> {
  const replicas = knative
    ? fc.oneof(
      props({}, { minReplicas: fc.integer({ min: 1, max: 10 }), bypassActivator: fc.constant(true), acceptScaleToZero: fc.boolean() }),
      props({ minReplicas: fc.constant(0), acceptScaleToZero: fc.constant(true) }, { bypassActivator: fc.constant(true) }),
      props({ bypassActivator: fc.constant(false) }, { minReplicas: fc.integer({ min: 0, max: 10 }), acceptScaleToZero: fc.boolean() }),
    )
    : props({}, { minReplicas: fc.integer({ min: 1, max: 10 }) });
  return fc.tuple(
    props({
      modelFormat: fc.stringMatching(/^[a-z0-9]([-a-z0-9_.]{0,10}[a-z0-9])?$/),
      storageUri: fc.tuple(fc.constantFrom('gs', 's3', 'pvc', 'hf', 'https', 'http', 'oci', 'azure'), hostname, fc.stringMatching(/^(\/[!-~]{1,10}){0,3}$/))
        .map(([s, h, p]) => `${s}://${h}${p}`),
    }, {
      name: dns1035Label,
      namespace: dnsLabel.filter(n => !SYSTEM.includes(n)),
      createNamespace: fc.boolean(),
      modelFormatVersion: text(10),
      runtime: dnsSubdomain,
      protocolVersion: fc.constantFrom(...Object.values(KServeProtocolVersion)),
      deploymentMode: fc.constant(knative ? KServeDeploymentMode.KNATIVE : KServeDeploymentMode.STANDARD),
      maxExtra: fc.integer({ min: 0, max: 100 }),
      resources,
      serviceAccountName: dnsSubdomain,
    }),
    replicas,
    fc.oneof(
      props({}, {
        allowedNamespaces: fc.array(dnsLabel.filter(n => n !== 'knative-serving' && !SHARED.includes(n)), { maxLength: 3 }),
        allowedPrincipals: fc.array(principal.filter(p => !/\/ns\/(istio-system|istio-ingress|kube-system|knative-serving)\/|gateway/.test(p)), { maxLength: 3 }),
        acknowledgeSharedCallers: fc.constant(false),
      }),
      props({ acknowledgeSharedCallers: fc.constant(true) }, {
        allowedNamespaces: fc.array(fc.oneof(dnsLabel.filter(n => n !== 'knative-serving'), fc.constantFrom(...SHARED)), { maxLength: 3 }),
        allowedPrincipals: fc.array(fc.oneof(principal, fc.constant('cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account')), { maxLength: 3 }),
      }),
    ),
  ).map(([a, b, c]) => {
    const out: any = { ...a, ...b, ...c };
    if (out.deploymentMode === undefined && !knative) {
      out.deploymentMode = KServeDeploymentMode.STANDARD;
    }
    if (out.maxExtra !== undefined) {
      out.maxReplicas = Math.max(1, (out.minReplicas ?? 1) + out.maxExtra);
      delete out.maxExtra;
    }
    return out;
  }).filter(s => {
    // KServe names the predictor host "<name>-predictor-<namespace>" and Knative the revision "<name>-predictor-00001": DNS labels
    const name = s.name ?? 'model';
    return `${name}-predictor-${s.namespace ?? NAMESPACE}`.length <= 63 && (!knative || `${name}-predictor-00001`.length <= 63);
  });
}

const valid = fc.oneof(specs(true), specs(false));

const CASE: ConstructCase<any> = {
  className: CLASS,
  id: 'model',
  valid,
  create: (chart, id, p) => {
    new MeshIsolatedInferenceService(chart, id, p);
  },
};

function semanticMutations(spec: any): Mutation[] {
  const out: Mutation[] = [];
  const knative = spec.deploymentMode !== KServeDeploymentMode.STANDARD;
  for (const bad of ['Model', '1model', 'a_b', 'a.b', 'x'.repeat(64), '', '-a', 'model-']) {
    out.push(mutation('name', bad));
  }
  out.push(mutation('name', `m${'x'.repeat(55 - (spec.namespace ?? NAMESPACE).length)}`));
  for (const bad of [...SYSTEM, ...BAD_DNS_LABELS]) {
    out.push(mutation('namespace', bad));
  }
  for (const bad of ['', 'SKLearn', 'a b', '-x', 'x-', 'a/b']) {
    out.push(mutation('modelFormat', bad));
  }
  for (const bad of ['bucket/model', 'ftp://x/y', 's3://', 'gs://a b', '', 'GS://bucket/m', 'file:///model']) {
    out.push(mutation('storageUri', bad));
  }
  out.push(...labelMutations('runtime', BAD_DNS_SUBDOMAINS), ...labelMutations('serviceAccountName', BAD_DNS_SUBDOMAINS));
  out.push(mutation('protocolVersion', 'v3'), mutation('protocolVersion', 'V1'), mutation('deploymentMode', 'Serverless'),
    mutation('deploymentMode', 'RawDeployment'), mutation('deploymentMode', 'standard'));
  out.push(...integerMutations('minReplicas', 0, 10000), ...integerMutations('maxReplicas', 1, 10000));
  if (spec.maxReplicas !== undefined) {
    out.push(mutation('minReplicas', spec.maxReplicas + 1));
  }
  if (knative) {
    if (spec.bypassActivator !== false) {
      out.push(mutation('minReplicas', 0, spec.acceptScaleToZero === true ? 'NOT REFUSED' : undefined));
    }
  } else {
    out.push(mutation('bypassActivator', true), mutation('bypassActivator', false), mutation('acceptScaleToZero', true), mutation('minReplicas', 0));
  }
  const r = 'resources';
  for (const q of ['cpuRequest', 'cpuLimit', 'memoryRequest', 'memoryLimit']) {
    for (const bad of ['lots', '-1', '0', '0m', '1.5.5', '500 m', '', '1mi', 'Infinity', '1e', '+-1']) {
      out.push(mutation(`${r}.${q}`, bad));
    }
  }
  out.push(mutation(r, { cpuRequest: '2', cpuLimit: '1500m' }, `${r}.cpuRequest`), mutation(r, { memoryRequest: '1Gi', memoryLimit: '1G' }, `${r}.memoryRequest`));
  out.push(...integerMutations(`${r}.gpus`, 0, 64), mutation(r, { gpuResource: 'nvidia.com/gpu' }, `${r}.gpuResource`),
    mutation(r, { gpus: 1, gpuResource: 'gpu' }, `${r}.gpuResource`), mutation(r, { gpus: 1, gpuResource: 'NVIDIA.com/gpu' }, `${r}.gpuResource`));
  const namespaces: string[] = spec.allowedNamespaces ?? [];
  const principals: string[] = spec.allowedPrincipals ?? [];
  out.push(...sparseListMutations('allowedNamespaces', namespaces.length > 0 ? namespaces : ['team-a']),
    ...sparseListMutations('allowedPrincipals', principals.length > 0 ? principals : ['cluster.local/ns/a/sa/b']));
  for (const bad of ['knative-serving', ...BAD_DNS_LABELS, ...(spec.acknowledgeSharedCallers === true ? [] : SHARED)]) {
    out.push(mutation('allowedNamespaces', [...namespaces, bad], `allowedNamespaces[${namespaces.length}]`));
  }
  const badPrincipals = ['spiffe://cluster.local/ns/a/sa/b', 'a/b', 'cluster.local/ns/A/sa/b', 'cluster.local/ns/a/sa/', '', 'cluster.local/ns/a/sa/b c'];
  if (spec.acknowledgeSharedCallers !== true) {
    badPrincipals.push('cluster.local/ns/istio-system/sa/x', 'cluster.local/ns/team/sa/my-gateway', 'cluster.local/ns/knative-serving/sa/activator');
  }
  for (const bad of badPrincipals) {
    out.push(mutation('allowedPrincipals', [...principals, bad], `allowedPrincipals[${principals.length}]`));
  }
  out.push(mutation('allowedNamespaces', 'team-a'), mutation('allowedPrincipals', 'cluster.local/ns/a/sa/b'));
  if (spec.createNamespace === false) {
    out.push(mutation('namespace', DELETE, 'NOT REFUSED'));
  }
  return out.filter(m => m.expect !== 'NOT REFUSED');
}

const typeMutations = (spec: any) => propsMutations(CLASS, spec);
const mutations = mutationsOf(typeMutations, semanticMutations);

describe('MeshIsolatedInferenceService properties', () => {
  test('1000 valid prop sets: schema-valid documents, the same YAML from two fresh apps', () => {
    expect(checkValidSpecs(CASE, { seed: 20251261, numRuns: 1000 })).toBeGreaterThan(2000);
  }, TIMEOUT);

  test('1000 invalid prop sets: the standard error names the prop; the id can be used again', () => {
    checkInvalidSpecs(CASE, mutations, { seed: 20251262, numRuns: 1000 });
  }, TIMEOUT);

  test('negative controls: the checks catch a schema-invalid document, non-determinism, a TypeError, a wrong prop, acceptance', () => {
    expectChecksCatchBrokenCases(CASE, mutations);
  }, TIMEOUT);
});

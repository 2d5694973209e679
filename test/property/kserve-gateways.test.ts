import * as fc from 'fast-check';
import { dnsLabel, dnsSubdomain, hostList, hostname, labels } from './_arbitraries';
import { BAD_DNS_LABELS, badHosts, labelMapMutations, labelMutations } from './_mutations';
import {
  argsMutations, checkInvalidSpecs, checkValidSpecs, ConstructCase, DELETE, expectChecksCatchBrokenCases, expectRefused,
  Make, Mutation, mutation, mutationsOf, newApp, props, propsMutations, shared,
} from './_support';
import { CertManagerIssuerKind, KServeLocalGateway, MeshWideStrictMtls, TlsCertificate, TlsTermination } from '../../src';
import { KSERVE_DEFAULT_INGRESS } from '../fixtures/kserve-ingress';

const TIMEOUT = 120_000;

/** Proxy pods: a namespace and labels. */
const proxyPods = fc.record({ namespace: dnsLabel, selector: labels });

/** The Istio ingress gateway pods without `gatewayPods`. */
const DEFAULT_PODS = { namespace: 'istio-system', selector: { istio: 'ingressgateway' } };

/** `p` replaced by the pods (`pods`, or the default ones) with a bad selector or namespace, refused as `<p>.selector` or `<p>.namespace`. */
function podsMutations(p: string, pods: any): Mutation[] {
  const base = pods ?? DEFAULT_PODS;
  return [
    ...labelMapMutations('selector').map(m => mutation(p, { ...base, selector: m.value }, `${p}.selector`)),
    ...labelMutations('namespace', BAD_DNS_LABELS).map(m => mutation(p, { ...base, namespace: m.value }, `${p}.namespace`)),
  ];
}

// ---------------------------------------------------------------------------------------------
// MeshWideStrictMtls
// ---------------------------------------------------------------------------------------------

const MESH: ConstructCase<any> = {
  className: 'MeshWideStrictMtls',
  id: 'mtls',
  valid: fc.option(props({}, { rootNamespace: dnsLabel, knativeLocalGateway: fc.boolean(), gatewayPods: proxyPods }), { nil: undefined }),
  create: (chart, id, p) => {
    new MeshWideStrictMtls(chart, id, p);
  },
};

const meshSemantic = (spec: any): Mutation[] => [...labelMutations('rootNamespace', BAD_DNS_LABELS), ...podsMutations('gatewayPods', spec?.gatewayPods)];
const meshMutations = mutationsOf((spec: any) => propsMutations(MESH.className, spec), meshSemantic);

// ---------------------------------------------------------------------------------------------
// KServeLocalGateway
// ---------------------------------------------------------------------------------------------

/** A Gateway and Service name: a DNS-1035 label (the Service needs one). */
const serviceName = fc.stringMatching(/^[a-z]([a-z0-9-]{0,20}[a-z0-9])?$/);

const ingressOptions = props({}, {
  disableIstioVirtualHost: fc.boolean(),
  ingressDomain: hostname,
  ingressGateway: fc.tuple(dnsLabel, dnsLabel).map(([a, b]) => `${a}/${b}`),
  knativeLocalGatewayService: hostname,
  urlScheme: fc.constantFrom('http', 'https'),
});

/** HTTPS with a certificate: a Secret, or one cert-manager writes (for the Service's names unless `dnsNames`). */
const httpsTls = fc.oneof(
  dnsSubdomain.map(n => new Make(`TlsTermination.atProxy(TlsCertificate.fromSecret(${JSON.stringify(n)}))`,
    () => TlsTermination.atProxy(TlsCertificate.fromSecret(n)))),
  props({ issuerName: dnsSubdomain }, {
    issuerKind: fc.constantFrom(...Object.values(CertManagerIssuerKind)), dnsNames: hostList(true), secretName: dnsSubdomain,
  }).map(o => new Make(`TlsTermination.atProxy(TlsCertificate.fromCertManager(${fc.stringify(o)}))`,
    () => TlsTermination.atProxy(TlsCertificate.fromCertManager(o)))),
);

function localGatewaySpecs(name: fc.Arbitrary<string>): fc.Arbitrary<any> {
  return fc.tuple(
    fc.oneof(
      props({ tls: httpsTls }, {}),
      props({}, { tls: fc.constant(shared('TlsTermination.insecurePlainHttp()', TlsTermination.insecurePlainHttp())) }),
    ),
    props({}, { name, gatewayPods: proxyPods }),
    fc.option(ingressOptions, { nil: undefined }),
  ).map(([a, b, ingress]) => ({ props: { ...a, ...b, ...(ingress === undefined ? {} : { ingress }) } }));
}

/** A current `ingress` document shaped like KServe's default (see test/fixtures/kserve-ingress.ts). */
const CURRENT = JSON.stringify(KSERVE_DEFAULT_INGRESS);

/** The construct and its merged ingress config (a string output compared between the two apps). */
function localGatewayCase(name: fc.Arbitrary<string>): ConstructCase<any> {
  return {
    className: 'KServeLocalGateway',
    id: 'local',
    valid: localGatewaySpecs(name),
    create: (chart, id, spec) => new KServeLocalGateway(chart, id, spec.props).ingressConfig(CURRENT).document,
  };
}
const LOCAL = localGatewayCase(serviceName);


function localSemantic(spec: any): Mutation[] {
  const p = spec.props;
  const out: Mutation[] = [...labelMutations('props.name', BAD_DNS_LABELS), ...podsMutations('props.gatewayPods', p.gatewayPods)];
  // TLS the local gateway does not serve: at a load balancer, mutual, or a certificate resolver (Traefik's)
  out.push(
    mutation('props.tls', shared('TlsTermination.atLoadBalancer()', TlsTermination.atLoadBalancer())),
    mutation('props.tls', shared('TlsTermination.mutualAtProxy(TlsCertificate.fromSecret("gateway-tls"))',
      TlsTermination.mutualAtProxy(TlsCertificate.fromSecret('gateway-tls')))),
    mutation('props.tls', shared('TlsTermination.atProxy(TlsCertificate.fromTraefikCertResolver("le"))',
      TlsTermination.atProxy(TlsCertificate.fromTraefikCertResolver('le')))),
  );
  out.push(...ingressSemantic(p.ingress));
  return out.map(m => ({ ...m, expect: (m.expect ?? m.path).replace(/^props\./, '') }));
}

/** Props mutations of the construct, on the spec's `props` (ingressConfig options are checked apart, below). */
function localMutations(spec: any): Mutation[] {
  return propsMutations('KServeLocalGateway', spec.props).map(m => ({ ...m, path: `props.${m.path}`, expect: m.expect ?? m.path }));
}

const LOCAL_CASE = LOCAL;

/** Wrong `ingress` options: each is refused at construction, named `ingress.<option>`. */
function ingressSemantic(ingress: any): Mutation[] {
  const o = ingress ?? {};
  const out: Mutation[] = [];
  for (const bad of ['x', 'a/b/c', 'A/b', '', '/b', 'a/', `${'a'.repeat(64)}/b`]) {
    out.push(mutation('props.ingress.ingressGateway', bad));
  }
  for (const bad of badHosts(o.ingressDomain ?? 'example.com')) {
    out.push(mutation('props.ingress.ingressDomain', bad), mutation('props.ingress.knativeLocalGatewayService', bad));
  }
  for (const bad of ['ftp', 'HTTP', '', 'https ']) {
    out.push(mutation('props.ingress.urlScheme', bad));
  }
  return out;
}

describe('MeshWideStrictMtls properties', () => {
  test('1000 valid prop sets: schema-valid documents, the same YAML from two fresh apps', () => {
    expect(checkValidSpecs(MESH, { seed: 20251271, numRuns: 1000 })).toBeGreaterThan(2000);
  }, TIMEOUT);

  test('1000 invalid prop sets: the standard error names the prop; the id can be used again', () => {
    checkInvalidSpecs(MESH, meshMutations, { seed: 20251272, numRuns: 1000 });
  }, TIMEOUT);

  test('negative controls: the checks catch a schema-invalid document, non-determinism, a TypeError, a wrong prop, acceptance', () => {
    expectChecksCatchBrokenCases(MESH, meshMutations);
  }, TIMEOUT);
});

describe('KServeLocalGateway properties', () => {
  const mutations = mutationsOf(localMutations, localSemantic);

  test('1000 valid prop sets (and ingressConfig options): schema-valid documents, the same YAML and ingress config from two fresh apps', () => {
    expect(checkValidSpecs(LOCAL_CASE, { seed: 20251281, numRuns: 1000 })).toBeGreaterThanOrEqual(2000);
  }, TIMEOUT);

  test('1000 invalid prop sets: the standard error names the prop; the id can be used again', () => {
    checkInvalidSpecs(LOCAL_CASE, mutations, { seed: 20251282, numRuns: 1000 });
  }, TIMEOUT);

  test('1000 invalid current ingress documents: the standard error (KServeLocalGateway.ingressConfig) names the argument', () => {
    const notAnObject = fc.oneof(fc.string().filter(t => { try { const v = JSON.parse(t); return v === null || typeof v !== 'object' || Array.isArray(v); } catch { return true; } }),
      fc.jsonValue().filter(v => v === null || typeof v !== 'object' || Array.isArray(v)).map(v => JSON.stringify(v)));
    const typeMutations = argsMutations('KServeLocalGateway', 'ingressConfig', [CURRENT]);
    const arb = fc.oneof(notAnObject.map(v => mutation('current', v)), fc.constantFrom(...typeMutations));
    fc.assert(fc.property(arb, m => {
      const { chart } = newApp();
      const gateway = new KServeLocalGateway(chart, 'local');
      expectRefused(() => gateway.ingressConfig(m.value === DELETE ? undefined as any : m.value as any), 'KServeLocalGateway.ingressConfig', m.path);
    }), { seed: 20251283, numRuns: 1000 });
  }, TIMEOUT);

  test('negative controls: the checks catch a schema-invalid document, non-determinism, a TypeError, a wrong prop, acceptance', () => {
    expectChecksCatchBrokenCases(LOCAL_CASE, mutations);
  }, TIMEOUT);
});

import * as fc from 'fast-check';
import { anyBackend, backendFromName, dnsLabel, dnsSubdomain, hostList, labels, resolverName, USERS, users, wildcardHost } from './_arbitraries';
import { BAD_DNS_LABELS, hostListMutations, labelMapMutations, labelMutations } from './_mutations';
import {
  applyMutation, checkInvalidSpecs, checkValidSpecs, ConstructCase, DELETE, expectChecksCatchBrokenCases, expectRefused, expectRefusedWithoutSecret,
  Make, materialize, Mutation, mutation, mutationsOf, NAMESPACE, newApp, props, propsMutations, secretArb, shared,
} from './_support';
import {
  BasicAuthUser, PasswordHashAlgorithm, TlsCertificate, TlsTermination, TraefikBasicAuthIngress, TraefikCipherSuites, TraefikRouteKind,
  TraefikTlsVersion,
} from '../../src';

const CLASS = 'TraefikBasicAuthIngress';
const TIMEOUT = 120_000;

const entryPoint = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,15}$/);
/** A realm: not empty, no quotes, backslashes or line breaks. */
const realm = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz ABCXYZ0123456789.-_:;,!?()[]{}éß日'.split('')), minLength: 1, maxLength: 30 });

/** TLS at Traefik, with a certificate from a resolver, a Secret or cert-manager. */
const atProxy = (label: string, certificate: TlsCertificate) => shared(`TlsTermination.atProxy(${label})`, TlsTermination.atProxy(certificate));
const encryptedTls = fc.oneof(
  resolverName.map(n => atProxy(`TlsCertificate.fromTraefikCertResolver(${JSON.stringify(n)})`, TlsCertificate.fromTraefikCertResolver(n))),
  dnsSubdomain.map(n => atProxy(`TlsCertificate.fromSecret(${JSON.stringify(n)})`, TlsCertificate.fromSecret(n))),
  dnsSubdomain.map(n => atProxy(`TlsCertificate.fromCertManager({ issuerName: ${JSON.stringify(n)} })`, TlsCertificate.fromCertManager({ issuerName: n }))),
);

/** Traefik's pods: a namespace, and the Helm chart's labels or others. */
const DEFAULT_SELECTOR = { 'app.kubernetes.io/name': 'traefik' };
const traefikPods = fc.record({ namespace: dnsLabel, selector: fc.oneof(fc.constant(DEFAULT_SELECTOR), labels) });

/** An Ingress: `TraefikRouteKind.ingress()`, with or without an options object and an ingress class. */
const ingressKind = fc.oneof(
  fc.constant(shared('TraefikRouteKind.ingress()', TraefikRouteKind.ingress())),
  fc.constant(shared('TraefikRouteKind.ingress({})', TraefikRouteKind.ingress({}))),
  dnsLabel.map(c => shared(`TraefikRouteKind.ingress({ ingressClassName: ${JSON.stringify(c)} })`, TraefikRouteKind.ingress({ ingressClassName: c }))),
);

const tlsOptions = fc.oneof(
  props({}, {
    minVersion: fc.constant(TraefikTlsVersion.TLS_1_2),
    sniStrict: fc.boolean(),
    cipherSuites: fc.uniqueArray(fc.constantFrom(...TraefikCipherSuites.ACCEPTED), { minLength: 1, maxLength: 4 }),
  }),
  props({ minVersion: fc.constant(TraefikTlsVersion.TLS_1_3) }, { sniStrict: fc.boolean() }),
);

function specs(encrypted: boolean, ingress: boolean): fc.Arbitrary<any> {
  return fc.tuple(
    props({
      hosts: hostList(false),
      users,
      tls: encrypted ? encryptedTls : fc.constant(shared('TlsTermination.insecurePlainHttp()', TlsTermination.insecurePlainHttp())),
    }, {
      pathPrefix: fc.stringMatching(/^\/[A-Za-z0-9\-._~!$&'()*+,;=:@%/]{0,20}$/),
      realm,
      removeHeader: fc.boolean(),
      secureEntryPoint: entryPoint,
      webEntryPoint: entryPoint,
      ...(encrypted ? { httpsRedirect: fc.boolean(), tlsOptions } : { httpsRedirect: fc.constant(false) }),
      ...(ingress ? {} : { routeKind: fc.constant(shared('TraefikRouteKind.ingressRoute()', TraefikRouteKind.ingressRoute())) }),
    }),
    ingress ? ingressKind.map(routeKind => ({ routeKind })) : fc.constant({}),
    // with a backend it can see, a NetworkPolicy admits only Traefik's pods: it needs them
    fc.oneof(
      props({ backend: anyBackend(fc.constant(NAMESPACE)), traefikPods }, { allowDirectBackendAccess: fc.boolean() }),
      props({ backend: anyBackend(fc.constant(NAMESPACE)), allowDirectBackendAccess: fc.constant(true) }, { traefikPods }),
      props({ backend: backendFromName(props({}, { namespace: fc.constant(NAMESPACE) })) }, { allowDirectBackendAccess: fc.constant(false) }),
    ),
  ).map(([a, kind, b]) => ({ ...a, ...kind, ...b }));
}

const valid = fc.oneof(specs(true, false), specs(true, true), specs(false, false), specs(false, true));

const CASE: ConstructCase<any> = {
  className: CLASS,
  id: 'scoring',
  valid,
  create: (chart, id, p) => {
    new TraefikBasicAuthIngress(chart, id, p);
  },
};

/** An object that passes for a BasicAuthUser but whose hash is a plaintext password. */
function fakeUser(username: string, hash: string): Make {
  return new Make(`fake BasicAuthUser(${JSON.stringify(username)}, plaintext)`, () =>
    Object.assign(Object.create(BasicAuthUser.prototype), { username, hash, algorithm: PasswordHashAlgorithm.BCRYPT }));
}

function semanticMutations(spec: any): Mutation[] {
  const hosts: string[] = spec.hosts;
  const out: Mutation[] = hostListMutations('hosts', hosts);
  out.push(mutation('hosts[0]', `*.${hosts[0]}`), ...fc.sample(wildcardHost, { numRuns: 2, seed: 1 }).map(h => mutation(`hosts[${hosts.length}]`, h)));
  out.push(...fc.sample(backendFromName(fc.constant({ namespace: 'other' })), { numRuns: 2, seed: 2 }).map(b => mutation('backend', b)));
  const list: Make<BasicAuthUser>[] = spec.users;
  const n = list.length;
  const alg = Object.keys(USERS).find(a => USERS[a].includes(list[0]))!;
  const other = Object.keys(USERS).find(a => a !== alg)!;
  out.push(mutation('users', []), mutation(`users[${n}]`, list[0]), mutation(`users[${n}]`, USERS[other][7]));
  out.push(mutation(`users[${n}]`, fakeUser('mallory', 'plaintext-password')), mutation(`users[${n}]`, fakeUser('a:b', USERS.bcrypt[0].build(null as any, '').hash)));
  for (const bad of ['v1', '/a b', '/a`b', '', ' /', '/a"b', '/a\nb', '/ä']) {
    out.push(mutation('pathPrefix', bad));
  }
  for (const bad of ['', 'a"b', 'a\\b', 'a\nb', 'a\rb']) {
    out.push(mutation('realm', bad));
  }
  // strings, such as the values of the TraefikRouteKind enum of earlier versions
  for (const bad of ['ingress', 'IngressRouteTCP', 'INGRESS', 'Ingress', 'IngressRoute']) {
    out.push(mutation('routeKind', bad));
  }
  for (const p of ['secureEntryPoint', 'webEntryPoint']) {
    for (const bad of ['-web', 'web secure', '', 'a/b', 'ä', '_web']) {
      out.push(mutation(p, bad));
    }
  }
  // Traefik's pods (without them in the spec: the Helm chart's, with one part changed)
  const pods = spec.traefikPods ?? { namespace: 'traefik', selector: DEFAULT_SELECTOR };
  const podsMutations = (part: 'namespace' | 'selector', ms: Mutation[]) =>
    ms.map(m => (spec.traefikPods !== undefined ? m : mutation('traefikPods', { ...pods, [part]: m.value }, m.path)));
  out.push(...podsMutations('namespace', labelMutations('traefikPods.namespace', BAD_DNS_LABELS)),
    ...podsMutations('selector', labelMapMutations('traefikPods.selector')));
  if (spec.backend.label.startsWith('Backend.fromService') && spec.allowDirectBackendAccess !== true) {
    out.push(mutation('traefikPods', DELETE));
  }
  // the props of earlier versions: a single host, Traefik's namespace and selector, an ingress class beside the route kind
  out.push(mutation('host', hosts[0]), mutation('traefikNamespace', 'traefik'), mutation('traefikSelector', DEFAULT_SELECTOR), mutation('ingressClassName', 'traefik'));
  // TLS that Traefik does not end: at a load balancer in front of it, or mutual TLS
  out.push(mutation('tls', shared('TlsTermination.atLoadBalancer()', TlsTermination.atLoadBalancer())),
    mutation('tls', shared('TlsTermination.mutualAtProxy(TlsCertificate.fromSecret("ca"))', TlsTermination.mutualAtProxy(TlsCertificate.fromSecret('ca')))));
  const encrypted = !spec.tls.label.includes('insecure');
  if (encrypted) {
    out.push(mutation('tlsOptions.minVersion', 'VersionTLS11'), mutation('tlsOptions.minVersion', 'VersionTLS10'));
    const v13 = spec.tlsOptions?.minVersion === TraefikTlsVersion.TLS_1_3;
    if (v13) {
      out.push(mutation('tlsOptions.cipherSuites', [TraefikCipherSuites.MODERN[0]]));
    } else {
      const suites: string[] = spec.tlsOptions?.cipherSuites ?? [TraefikCipherSuites.MODERN[0]];
      out.push(mutation('tlsOptions.cipherSuites', []));
      for (const bad of ['TLS_RSA_WITH_AES_128_CBC_SHA', 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256', 'TLS_RSA_WITH_AES_256_GCM_SHA384',
        'TLS_ECDHE_RSA_WITH_RC4_128_SHA', 'tls_ecdhe_rsa_with_aes_128_gcm_sha256', 'TLS_AES_128_GCM_SHA256', suites[0]]) {
        out.push(mutation('tlsOptions.cipherSuites', [...suites, bad], `tlsOptions.cipherSuites[${suites.length}]`));
      }
    }
  } else {
    out.push(mutation('httpsRedirect', true), mutation('tlsOptions', {}), mutation('tlsOptions', { sniStrict: true }));
  }
  return out;
}

const typeMutations = (spec: any) => propsMutations(CLASS, spec);
const mutations = mutationsOf(typeMutations, semanticMutations);

describe('TraefikBasicAuthIngress properties', () => {
  test('1000 valid prop sets: schema-valid documents, the same YAML from two fresh apps', () => {
    expect(checkValidSpecs(CASE, { seed: 20251231, numRuns: 1000 })).toBeGreaterThan(1000);
  }, TIMEOUT);

  test('1000 invalid prop sets: the standard error names the prop; the id can be used again', () => {
    checkInvalidSpecs(CASE, mutations, { seed: 20251232, numRuns: 1000 });
  }, TIMEOUT);

  test('secrets in invalid positions never appear in the error', () => {
    fc.assert(fc.property(valid, secretArb, fc.nat(), (spec, secret, pick) => {
      const n = spec.users.length;
      const positions = [
        mutation(`users[${n}]`, fakeUser('mallory', secret)),
        mutation('users[0]', fakeUser('mallory', secret)),
        mutation(`users[${n}]`, fakeUser(`alice:${secret}`, secret)),
        mutation(`users[${n}]`, `alice:${secret}`),
        mutation('users', `alice:${secret}`),
        mutation('users', [`alice:${secret}`]),
        mutation(`users[${n}]`, { username: 'alice', hash: secret }),
      ];
      const m = positions[pick % positions.length];
      const { chart } = newApp();
      const bad = applyMutation(materialize(spec, chart, 'a'), m, chart, 'm');
      expectRefusedWithoutSecret(() => CASE.create(chart, CASE.id, bad), `${CLASS} c/${CASE.id}`, m.path.replace(/\[\d+\]$/, ''), secret);
    }), { seed: 20251233, numRuns: 1000 });
  }, TIMEOUT);

  test('bad ingress classes are refused by TraefikRouteKind.ingress, before the ingress sees them', () => {
    for (const bad of BAD_DNS_LABELS) {
      expectRefused(() => TraefikRouteKind.ingress({ ingressClassName: bad }), 'TraefikRouteKind.ingress', 'options.ingressClassName');
    }
  });

  test('negative controls: the checks catch a schema-invalid document, non-determinism, a TypeError, a wrong prop, acceptance', () => {
    expectChecksCatchBrokenCases(CASE, mutations);
  }, TIMEOUT);
});

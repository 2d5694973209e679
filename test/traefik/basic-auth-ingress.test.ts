import { ApiObject, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import {
  Backend, BasicAuthUser, TlsCertificate, TlsTermination, TraefikBasicAuthIngress, TraefikBasicAuthIngressProps, TraefikCipherSuites,
  TraefikRouteKind, TraefikTlsVersion,
} from '../../src';
import { expectValidManifests } from '../schema';
import { docsOf, newChart, oneOf, SECOND_LOCALE, synthInFreshProcess } from '../util';

const HOST = 'scoring.example.com';
const user1 = BasicAuthUser.fromPassword('user1', 'password1', { cost: 4 });
const user2 = BasicAuthUser.fromPassword('user2', 'password2', { cost: 4 });

function build(props: Partial<TraefikBasicAuthIngressProps> = {}, namespace: string | null = 'ml') {
  const chart = newChart(namespace);
  const ingress = new TraefikBasicAuthIngress(chart, 'scoring', {
    hosts: [HOST],
    backend: Backend.fromName('bos-rf-svc', 8000),
    users: [user1],
    tls: TlsTermination.atProxy(TlsCertificate.fromTraefikCertResolver('le')),
    ...props,
  });
  return { chart, ingress, docs: Testing.synth(chart) };
}

function decodedUsers(docs: any[]): string {
  const secret = oneOf(docs, 'Secret');
  return Buffer.from(secret.data.users, 'base64').toString('utf8');
}

describe('IngressRoute (default)', () => {
  const { ingress, docs } = build({ users: [user2, user1] });

  test('the default child is the HTTPS IngressRoute', () => {
    expect(ingress.node.defaultChild).toBe(ingress.route);
    expect(ApiObject.of(ingress.route).kind).toBe('IngressRoute');
  });

  test('synthesizes schema-valid documents', () => {
    expect(docs.map(d => `${d.apiVersion} ${d.kind}`)).toEqual([
      'v1 Secret', 'traefik.io/v1alpha1 Middleware', 'traefik.io/v1alpha1 Middleware', 'traefik.io/v1alpha1 TLSOption',
      'traefik.io/v1alpha1 IngressRoute', 'traefik.io/v1alpha1 IngressRoute',
    ]);
    expectValidManifests(docs);
    expect(docs).toMatchSnapshot();
  });

  test('the Secret holds exactly one key with sorted user:hash lines and no password', () => {
    const secret = oneOf(docs, 'Secret');
    expect(secret.type).toBe('Opaque');
    expect(Object.keys(secret.data)).toEqual(['users']);
    expect(decodedUsers(docs)).toBe(`user1:${user1.hash}\nuser2:${user2.hash}\n`);
    expect(JSON.stringify(docs)).not.toMatch(/password[12]/);
  });

  test('the basicAuth Middleware references the Secret and removes the header', () => {
    const mw = docsOf(docs, 'Middleware').find(d => d.spec.basicAuth);
    expect(mw.spec.basicAuth).toEqual({ secret: oneOf(docs, 'Secret').metadata.name, realm: 'traefik', removeHeader: true });
    expect(mw.metadata.namespace).toBe('ml');
  });

  test('the HTTPS route matches the host on websecure, with basic auth, the cert resolver and the TLSOption', () => {
    const route = docsOf(docs, 'IngressRoute').find(d => d.spec.entryPoints[0] === 'websecure');
    const mw = docsOf(docs, 'Middleware').find(d => d.spec.basicAuth);
    expect(route.spec).toEqual({
      entryPoints: ['websecure'],
      routes: [{
        kind: 'Rule',
        match: 'Host(`scoring.example.com`)',
        middlewares: [{ name: mw.metadata.name }],
        services: [{ name: 'bos-rf-svc', port: 8000 }],
      }],
      tls: { certResolver: 'le', options: { name: oneOf(docs, 'TLSOption').metadata.name } },
    });
  });

  test('the TLSOption requires TLS 1.2 and strict SNI and is never named "default"', () => {
    const opt = oneOf(docs, 'TLSOption');
    expect(opt.spec).toEqual({ minVersion: 'VersionTLS12', cipherSuites: TraefikCipherSuites.MODERN, sniStrict: true });
    expect(opt.metadata.name).not.toBe('default');
  });

  test('plain HTTP is permanently redirected to HTTPS and reaches no Service', () => {
    const route = docsOf(docs, 'IngressRoute').find(d => d.spec.entryPoints[0] === 'web');
    const redirect = docsOf(docs, 'Middleware').find(d => d.spec.redirectScheme);
    expect(redirect.spec.redirectScheme).toEqual({ scheme: 'https', permanent: true });
    expect(route.spec.routes).toEqual([{
      kind: 'Rule',
      match: 'Host(`scoring.example.com`)',
      middlewares: [{ name: redirect.metadata.name }],
      services: [{ name: 'noop@internal', kind: 'TraefikService' }],
    }]);
    expect(route.spec.tls).toBeUndefined();
  });
});

describe('Ingress', () => {
  const { docs } = build({ routeKind: TraefikRouteKind.ingress(), tls: TlsTermination.atProxy(TlsCertificate.fromSecret('scoring-tls')), pathPrefix: '/score' });

  test('synthesizes schema-valid documents', () => {
    expect(docsOf(docs, 'Ingress', 'networking.k8s.io/v1')).toHaveLength(2);
    expect(docsOf(docs, 'IngressRoute')).toHaveLength(0);
    expectValidManifests(docs);
    expect(docs).toMatchSnapshot();
  });

  test('the HTTPS Ingress names its middleware and TLS option as <ns>-<name>@kubernetescrd', () => {
    const ing = docsOf(docs, 'Ingress').find(d => d.metadata.annotations['traefik.ingress.kubernetes.io/router.entrypoints'] === 'websecure');
    const mw = docsOf(docs, 'Middleware').find(d => d.spec.basicAuth);
    const a = ing.metadata.annotations;
    expect(a).toEqual({
      'traefik.ingress.kubernetes.io/router.entrypoints': 'websecure',
      'traefik.ingress.kubernetes.io/router.middlewares': `ml-${mw.metadata.name}@kubernetescrd`,
      'traefik.ingress.kubernetes.io/router.tls': 'true',
      'traefik.ingress.kubernetes.io/router.tls.options': `ml-${oneOf(docs, 'TLSOption').metadata.name}@kubernetescrd`,
    });
    for (const ref of [a['traefik.ingress.kubernetes.io/router.middlewares'], a['traefik.ingress.kubernetes.io/router.tls.options']]) {
      expect(ref).toMatch(/^[a-z0-9-]+-[a-z0-9-]+@kubernetescrd$/);
    }
    expect(ing.spec).toEqual({
      ingressClassName: 'traefik',
      rules: [{ host: HOST, http: { paths: [{ path: '/score', pathType: 'Prefix', backend: { service: { name: 'bos-rf-svc', port: { number: 8000 } } } }] } }],
      tls: [{ hosts: [HOST], secretName: 'scoring-tls' }],
    });
  });

  test('the redirect Ingress listens on web with the redirect middleware, then basic auth', () => {
    const ing = docsOf(docs, 'Ingress').find(d => d.metadata.annotations['traefik.ingress.kubernetes.io/router.entrypoints'] === 'web');
    const redirect = docsOf(docs, 'Middleware').find(d => d.spec.redirectScheme);
    const auth = docsOf(docs, 'Middleware').find(d => d.spec.basicAuth);
    // An Ingress must name a real Service, and redirectScheme passes requests that already look like HTTPS.
    expect(ing.metadata.annotations['traefik.ingress.kubernetes.io/router.middlewares'])
      .toBe(`ml-${redirect.metadata.name}@kubernetescrd,ml-${auth.metadata.name}@kubernetescrd`);
    expect(ing.metadata.annotations['traefik.ingress.kubernetes.io/router.tls']).toBeUndefined();
  });

  test('a cert resolver is named in an annotation', () => {
    const out = build({ routeKind: TraefikRouteKind.ingress() }).docs;
    const ing = docsOf(out, 'Ingress').find(d => d.metadata.annotations['traefik.ingress.kubernetes.io/router.tls']);
    expect(ing.metadata.annotations['traefik.ingress.kubernetes.io/router.tls.certresolver']).toBe('le');
    expect(ing.spec.tls).toBeUndefined();
    expectValidManifests(out);
  });
});

describe('options', () => {
  test('path prefix, realm, removeHeader and custom entry points', () => {
    const { docs } = build({ pathPrefix: '/score', realm: 'models', removeHeader: false, secureEntryPoint: 'https', webEntryPoint: 'http' });
    const routes = docsOf(docs, 'IngressRoute');
    expect(routes.map(r => r.spec.entryPoints[0]).sort()).toEqual(['http', 'https']);
    expect(routes.every(r => r.spec.routes[0].match === 'Host(`scoring.example.com`) && PathPrefix(`/score`)')).toBe(true);
    expect(docsOf(docs, 'Middleware').find(d => d.spec.basicAuth).spec.basicAuth).toMatchObject({ realm: 'models', removeHeader: false });
    expectValidManifests(docs);
  });

  test('the seed\'s forward-secret cipher suites with TLS 1.2; its static-RSA suites are refused', () => {
    const seed = [
      'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
      'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
      'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
    ];
    const { docs } = build({ tlsOptions: { cipherSuites: seed, sniStrict: false } });
    expect(oneOf(docs, 'TLSOption').spec).toEqual({ minVersion: 'VersionTLS12', cipherSuites: seed, sniStrict: false });
    expectValidManifests(docs);
    expect(() => build({ tlsOptions: { cipherSuites: [...seed, 'TLS_RSA_WITH_AES_128_GCM_SHA256'] } }))
      .toThrow('invalid tlsOptions.cipherSuites[3] "TLS_RSA_WITH_AES_128_GCM_SHA256": expected a forward-secret AEAD TLS 1.2 cipher suite');
  });

  test('the public suite lists are frozen copies: adding to them changes nothing', () => {
    expect(() => (TraefikCipherSuites.ACCEPTED as string[]).push('TLS_RSA_WITH_RC4_128_SHA')).toThrow(TypeError);
    expect(TraefikCipherSuites.ACCEPTED).not.toContain('TLS_RSA_WITH_RC4_128_SHA');
    expect(TraefikCipherSuites.ACCEPTED).toEqual(expect.arrayContaining(TraefikCipherSuites.MODERN));
    expect(TraefikCipherSuites.ACCEPTED.some(c => c.startsWith('TLS_RSA_') || c.includes('_CBC_'))).toBe(false);
  });

  test('TLS 1.3 minimum', () => {
    const { docs } = build({ tlsOptions: { minVersion: TraefikTlsVersion.TLS_1_3 } });
    expect(oneOf(docs, 'TLSOption').spec.minVersion).toBe('VersionTLS13');
  });

  test('no redirect when asked', () => {
    const { ingress, docs } = build({ httpsRedirect: false });
    expect(ingress.redirectRoute).toBeUndefined();
    expect(docsOf(docs, 'IngressRoute')).toHaveLength(1);
    expect(docsOf(docs, 'Middleware')).toHaveLength(1);
  });

  test('plain HTTP only with the explicit opt-in: web entry point, no TLS, no redirect', () => {
    const { docs } = build({ tls: TlsTermination.insecurePlainHttp() });
    const route = oneOf(docs, 'IngressRoute');
    expect(route.spec.entryPoints).toEqual(['web']);
    expect(route.spec.tls).toBeUndefined();
    expect(docsOf(docs, 'TLSOption')).toHaveLength(0);
    expectValidManifests(docs);
  });

  test('users added later are in the Secret', () => {
    const { chart, ingress } = build();
    ingress.addUser(user2);
    expect(ingress.usernames).toEqual(['user1', 'user2']);
    expect(decodedUsers(Testing.synth(chart))).toBe(`user1:${user1.hash}\nuser2:${user2.hash}\n`);
  });

  test('a backend from a cdk8s-plus Service in the same namespace', () => {
    const chart = newChart('bos-rf');
    const svc = new kplus.Service(chart, 'svc', { ports: [{ port: 8000 }] });
    new TraefikBasicAuthIngress(chart, 'i', {
      hosts: [HOST],
      backend: Backend.fromService(svc),
      users: [user1],
      tls: TlsTermination.atProxy(TlsCertificate.fromTraefikCertResolver('le')),
      allowDirectBackendAccess: true,
    });
    const docs = Testing.synth(chart);
    const route = docsOf(docs, 'IngressRoute').find(d => d.spec.entryPoints[0] === 'websecure');
    expect(route.spec.routes[0].services).toEqual([{ name: oneOf(docs, 'Service').metadata.name, port: 8000 }]);
  });

  test('the same props give the same YAML in two fresh processes, under two locales', () => {
    const a = synthInFreshProcess('traefik');
    const b = synthInFreshProcess('traefik', SECOND_LOCALE);
    expect(a.length).toBeGreaterThan(1000);
    expect(a).toBe(b);
  }, 60_000);
});

describe('bad input', () => {
  const sha = BasicAuthUser.fromHash('shauser', '{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=');
  const cases: [string, Partial<TraefikBasicAuthIngressProps>, string | RegExp][] = [
    ['fails no users', { users: [] }, 'TraefikBasicAuthIngress test/scoring: invalid users []: expected at least one BasicAuthUser'],
    ['fails duplicate usernames', { users: [user1, BasicAuthUser.fromPassword('user1', 'other', { cost: 4 })] },
      'invalid users[1] "user1": expected a username not used by another user of this ingress'],
    ['fails mixed hash algorithms', { users: [user1, sha] }, 'invalid users[1] "shauser (sha1)": expected a bcrypt hash like the other users\''],
    ['fails a host that is not a DNS name', { hosts: ['scoring_example'] }, 'invalid hosts[0] "scoring_example": expected a fully qualified DNS name'],
    ['fails a wildcard host', { hosts: ['*.example.com'] }, 'invalid hosts[0] "*.example.com"'],
    ['fails a path prefix not starting with /', { pathPrefix: 'score' }, 'invalid pathPrefix "score": expected a URL path starting with "/"'],
    ['fails a path prefix with a backtick', { pathPrefix: '/a`) || Host(`x' }, /invalid pathPrefix/],
    ['fails TLS 1.3 with cipher suites', { tlsOptions: { minVersion: TraefikTlsVersion.TLS_1_3, cipherSuites: TraefikCipherSuites.MODERN } },
      /invalid tlsOptions.cipherSuites \[.*\]: expected no cipher suites with a TLS 1.3 minimum/],
    ['fails an unknown cipher suite', { tlsOptions: { cipherSuites: ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'TLS_FAST'] } },
      'invalid tlsOptions.cipherSuites[1] "TLS_FAST": expected a forward-secret AEAD TLS 1.2 cipher suite of TraefikCipherSuites.ACCEPTED'],
    ['fails a broken cipher suite', { tlsOptions: { cipherSuites: ['TLS_RSA_WITH_RC4_128_SHA'] } }, 'invalid tlsOptions.cipherSuites[0] "TLS_RSA_WITH_RC4_128_SHA"'],
    ['fails no TLS without the explicit opt-in', { tls: undefined },
      'invalid tls undefined: expected a TlsTermination, from TlsTermination.atLoadBalancer(), TlsTermination.atProxy(), TlsTermination.insecurePlainHttp(), TlsTermination.mutualAtProxy() (required: here TlsTermination.atProxy(certificate), or the explicit TlsTermination.insecurePlainHttp(): basic auth sends the password with every request)'],
    ['fails an HTTPS redirect without TLS', { tls: TlsTermination.insecurePlainHttp(), httpsRedirect: true }, 'invalid httpsRedirect true'],
    ['fails a realm with a quote', { realm: 'a"b' }, 'invalid realm "a\\"b"'],
    ['fails a bad entry point', { secureEntryPoint: 'web secure' }, 'invalid secureEntryPoint "web secure"'],
    ['fails a backend in another namespace', { backend: Backend.fromName('svc', 80, { namespace: 'other' }) },
      'invalid backend "other/svc": expected a Service in the route\'s namespace "ml"'],
  ];
  test.each(cases)('%s', (_name, props, message) => {
    expect(() => build(props)).toThrow(message);
  });

  test('fails an Ingress without a namespace', () => {
    expect(() => build({ routeKind: TraefikRouteKind.ingress() }, null)).toThrow(/invalid namespace undefined: expected a namespace on the chart/);
  });
  test('fails adding a duplicate user later', () => {
    const { ingress } = build();
    expect(() => ingress.addUser(user1)).toThrow('invalid addUser(user) "user1": expected a username not used by another user');
  });
  test('fails a bad TLS secret or resolver name', () => {
    expect(() => TlsCertificate.fromSecret('Bad_Secret')).toThrow('TlsCertificate.fromSecret: invalid secretName "Bad_Secret"');
    expect(() => TlsCertificate.fromTraefikCertResolver('')).toThrow('TlsCertificate.fromTraefikCertResolver: invalid resolverName ""');
  });
});

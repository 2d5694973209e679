import { Duration, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import * as fc from 'fast-check';
import { anyBackend, dnsLabel, dnsSubdomain, hostname, httpsUrl, issuer, jwks, method, port, shortLabel, text, wholeSeconds, word } from './_arbitraries';
import { BAD_DNS_SUBDOMAINS, BAD_JWKS_URIS, durationMutations, integerMutations, sparseListMutations } from './_mutations';
import {
  applyMutation, checkInvalidSpecs, checkValidSpecs, ConstructCase, DELETE, expectChecksCatchBrokenCases, expectRefused, expectRefusedWithoutSecret,
  Make, materialize, Mutation, mutation, mutationsOf, newApp, props, propsMutations, secretArb, shared,
} from './_support';
import {
  EnvoyBackendProtocol, EnvoyJwtProxy, EnvoyServiceType, JsonWebKeySet, JwksSource, JwtAudiences, TlsCertificate, TlsTermination,
} from '../../src';
import { FIXED_PUBLIC_KEY_PEM } from '../fixtures/public-key';

const CLASS = 'EnvoyJwtProxy';
const TIMEOUT = 120_000;

/** An Envoy image with a pinned tag (1.30 or later) or a digest. */
const image = fc.oneof(
  fc.tuple(fc.integer({ min: 30, max: 39 }), fc.integer({ min: 0, max: 9 }), fc.constantFrom('', 'distroless-', 'contrib-'))
    .map(([minor, patch, flavour]) => `envoyproxy/envoy:${flavour}v1.${minor}.${patch}`),
  fc.stringMatching(/^[a-f0-9]{64}$/).map(d => `envoyproxy/envoy@sha256:${d}`),
  // registry hosts may have "--", as punycode names do
  fc.tuple(hostname, fc.option(port, { nil: undefined })).map(([h, p]) => `${h}${p === undefined ? '' : `:${p}`}/mirror/envoy:v1.36.2`),
  fc.constant('envoyproxy/envoy:stable-2025-01'),
);

/** An origin: scheme, host, a port other than the scheme's default. */
const origin = fc.tuple(fc.constantFrom('https', 'http'), hostname, fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }))
  .filter(([s, , p]) => p !== (s === 'https' ? 443 : 80))
  .map(([s, h, p]) => `${s}://${h}${p === undefined ? '' : `:${p}`}`);

const cors = props({ allowOrigins: fc.uniqueArray(origin, { minLength: 1, maxLength: 3 }) }, {
  allowMethods: fc.array(method, { maxLength: 4 }),
  allowHeaders: fc.array(fc.stringMatching(/^[a-z0-9-]{1,20}$/), { maxLength: 4 }),
  maxAge: wholeSeconds,
});

/** A JwtIssuer: an issuer, its keys from a URL or inlined, the audiences or any audience. */
const jwksSource = fc.oneof(
  httpsUrl.map(uri => shared(`JwksSource.fromUri(${JSON.stringify(uri)})`, JwksSource.fromUri(uri))),
  jwks.map((set: Make<JsonWebKeySet>) => new Make(`JwksSource.fromKeySet(${set.label})`, (chart, tag) => JwksSource.fromKeySet(set.build(chart, tag)))),
);
const audiences = fc.oneof(
  fc.array(text(20), { minLength: 1, maxLength: 4 }).map(list => shared(`JwtAudiences.of(${JSON.stringify(list)})`, JwtAudiences.of(list))),
  fc.constant(shared('JwtAudiences.acceptAny()', JwtAudiences.acceptAny())),
);
const jwtIssuer = props({ issuer, jwks: jwksSource, audiences }, { forwardToken: fc.boolean() });

/** TLS at the proxy, with a certificate from a Secret or cert-manager. */
const atProxy = (label: string, certificate: TlsCertificate) => shared(`TlsTermination.atProxy(${label})`, TlsTermination.atProxy(certificate));
const tls = fc.oneof(
  dnsSubdomain.map(n => atProxy(`TlsCertificate.fromSecret(${JSON.stringify(n)})`, TlsCertificate.fromSecret(n))),
  dnsSubdomain.map(n => atProxy(`TlsCertificate.fromCertManager({ issuerName: ${JSON.stringify(n)} })`, TlsCertificate.fromCertManager({ issuerName: n }))),
);

/** Container resources with requests within limits and a memory limit of at least 64Mi. */
const resources = props({}, {
  cpu: fc.tuple(fc.integer({ min: 1, max: 4000 }), fc.integer({ min: 0, max: 4000 }), fc.boolean()).map(([r, extra, units]) => ({
    request: kplus.Cpu.millis(r),
    limit: units ? kplus.Cpu.units(Math.ceil((r + extra) / 1000)) : kplus.Cpu.millis(r + extra),
  })),
  memory: fc.tuple(fc.integer({ min: 1, max: 4096 }), fc.integer({ min: 64, max: 8192 })).map(([r, l]) => ({
    request: Size.mebibytes(Math.min(r, l)), limit: Size.mebibytes(l),
  })),
});

const valid = props({
  backend: anyBackend(dnsLabel),
  jwt: jwtIssuer,
  tls,
}, {
  jwksCacheDuration: wholeSeconds,
  backendProtocol: fc.constantFrom(...Object.values(EnvoyBackendProtocol)),
  port: port.filter(p => p !== 9901 && p !== 8001),
  servicePort: port,
  replicas: fc.integer({ min: 1, max: 1000 }),
  image,
  grpcWeb: fc.boolean(),
  cors,
  // Path characters Envoy matches after normalization; dot segments are refused, so no segment is only dots.
  unauthenticatedPaths: fc.array(fc.stringMatching(/^\/[A-Za-z0-9\-_~!$&'()*+,=:@]([A-Za-z0-9\-._~!$&'()*+,=:@/]{0,18}[A-Za-z0-9\-_~!$&'()*+,=:@/])?$/)
    .filter(p => !/(^|\/)\.\.?(\/|$)/.test(p)), { maxLength: 4 }),
  serviceType: fc.constantFrom(...Object.values(EnvoyServiceType)),
  timeout: wholeSeconds,
  resources,
  allowDirectBackendAccess: fc.boolean(),
});


const CASE: ConstructCase<any> = {
  className: CLASS,
  id: 'proxy',
  valid,
  create: (chart, id, p) => {
    new EnvoyJwtProxy(chart, id, p);
  },
};

const KEY_SET = shared('JsonWebKeySet.fromPublicKeyPem(P-256)', JsonWebKeySet.fromPublicKeyPem(FIXED_PUBLIC_KEY_PEM));

/**
 * Breaks one rule of the JwtIssuer at `p` that its types let through (bad URLs and audience lists fail in
 * JwksSource.fromUri and JwtAudiences.of), or gives it the shapes of the EnvoyJwtOptions of earlier versions.
 */
function jwtIssuerMutations(p: string): Mutation[] {
  const out: Mutation[] = [];
  for (const bad of ['', ' ', 'a b', 'x\ty', 'x'.repeat(2049), 'new\nline', '\u0000', ' https://issuer.example.com']) {
    out.push(mutation(`${p}.issuer`, bad));
  }
  out.push(mutation(`${p}.jwks`, DELETE), mutation(`${p}.audiences`, DELETE));
  // a URL or a JsonWebKeySet where a JwksSource goes, a list where JwtAudiences go; the props that moved or went
  out.push(mutation(`${p}.jwks`, 'https://issuer.example.com/jwks'), mutation(`${p}.jwks`, KEY_SET), mutation(`${p}.audiences`, ['aud']),
    mutation(`${p}.jwksUri`, 'https://issuer.example.com/jwks'), mutation(`${p}.acceptAnyAudience`, true), mutation(`${p}.jwksCacheDuration`, Duration.minutes(5)));
  return out;
}

const cpu = (r: number, l: number) => shared(`{ request: Cpu.millis(${r}), limit: Cpu.millis(${l}) }`, { request: kplus.Cpu.millis(r), limit: kplus.Cpu.millis(l) });

function semanticMutations(spec: any): Mutation[] {
  const out: Mutation[] = [];
  out.push(...integerMutations('port', 1, 65535), mutation('port', 9901), mutation('port', 8001));
  out.push(...integerMutations('replicas', 1, 1000));
  for (const bad of ['envoyproxy/envoy', 'envoyproxy/envoy:latest', 'envoyproxy/envoy:dev', 'envoyproxy/envoy:v1.29.9', 'envoyproxy/envoy:v2.0.0',
    'envoyproxy/envoy:distroless-latest', 'EnvoyProxy/envoy:v1.36.2', '', 'envoyproxy/envoy:v1.36.2 ', 'envoyproxy/envoy@sha256:abc',
    'envoyproxy/envoy:contrib-v1.2.0', 'envoyproxy/envoy:v0.36.0']) {
    out.push(mutation('image', bad));
  }
  // TLS the proxy does not end itself, or a certificate resolver (Traefik's); the props of earlier versions
  out.push(
    mutation('tls', shared('TlsTermination.insecurePlainHttp()', TlsTermination.insecurePlainHttp())),
    mutation('tls', shared('TlsTermination.atLoadBalancer()', TlsTermination.atLoadBalancer())),
    mutation('tls', shared('TlsTermination.mutualAtProxy(TlsCertificate.fromSecret("ca"))', TlsTermination.mutualAtProxy(TlsCertificate.fromSecret('ca')))),
    mutation('tls', shared('TlsTermination.atProxy(TlsCertificate.fromTraefikCertResolver("le"))', TlsTermination.atProxy(TlsCertificate.fromTraefikCertResolver('le')))),
    mutation('tls', DELETE),
    mutation('tlsSecretName', 'envoy-tls'),
  );
  out.push(mutation('backendProtocol', 'http2'), mutation('backendProtocol', 'GRPC'), mutation('serviceType', 'clusterip'), mutation('serviceType', 'ExternalName'));
  const paths: string[] = spec.unauthenticatedPaths ?? [];
  out.push(...sparseListMutations('unauthenticatedPaths', paths.length > 0 ? paths : ['/grpc.health.v1.Health/']));
  for (const bad of ['/', 'health', '/a b', '', ' /x', '/x\n', '/health?x=1', '/health#', '/a;b', '/%2e', '/a/../admin', '/.', `/${'a'.repeat(1024)}`]) {
    out.push(mutation('unauthenticatedPaths', [...paths, bad], `unauthenticatedPaths[${paths.length}]`));
  }
  const origins: string[] = spec.cors?.allowOrigins ?? ['https://app.example.com'];
  out.push(mutation('cors.allowOrigins', []));
  for (const bad of ['https://app.example.com/', 'https://app.example.com:443', 'http://app.example.com:80', 'app.example.com', 'ftp://x.example.com',
    'https://app.example.com/path', 'https://APP.example.com', '*', 'null', 'https://user@app.example.com']) {
    out.push(mutation('cors.allowOrigins', [...origins, bad], `cors.allowOrigins[${origins.length}]`));
  }
  const withCors = (more: object, expect: string) => (spec.cors === undefined
    ? mutation('cors', { allowOrigins: ['https://app.example.com'], ...more }, expect)
    : mutation(`cors.${Object.keys(more)[0]}`, Object.values(more)[0], expect));
  for (const bad of ['get', 'P O', '', 'G3T']) {
    out.push(withCors({ allowMethods: [bad] }, 'cors.allowMethods[0]'));
  }
  for (const bad of ['X-Upper', 'a b', 'a_b', '', 'a:b']) {
    out.push(withCors({ allowHeaders: [bad] }, 'cors.allowHeaders[0]'));
  }
  for (const bad of [Duration.millis(1500), Duration.millis(999), Duration.seconds(0), Duration.millis(0.5)]) {
    out.push(withCors({ maxAge: bad }, 'cors.maxAge'));
  }
  out.push(...durationMutations('timeout', true), ...durationMutations('jwksCacheDuration', true));
  out.push(...jwtIssuerMutations('jwt'));
  out.push(
    mutation('resources.cpu', cpu(500, 100), 'resources.cpu.request'),
    mutation('resources.cpu', shared('{ request: Cpu.units(2), limit: Cpu.millis(1999) }', { request: kplus.Cpu.units(2), limit: kplus.Cpu.millis(1999) }),
      'resources.cpu.request'),
    mutation('resources.memory', shared('{ request: Size.gibibytes(1), limit: Size.mebibytes(512) }', { request: Size.gibibytes(1), limit: Size.mebibytes(512) }),
      'resources.memory.request'),
    mutation('resources.memory', shared('{ limit: Size.mebibytes(63) }', { limit: Size.mebibytes(63) }), 'resources.memory.limit'),
    mutation('resources.memory', shared('{ limit: Size.kibibytes(65535) }', { limit: Size.kibibytes(65535) }), 'resources.memory.limit'),
    mutation('resources.cpu', shared('{ request: Size.mebibytes(1) }', { request: Size.mebibytes(1) }), 'resources.cpu.request'),
    mutation('resources.memory', shared('{ limit: Cpu.units(1) }', { limit: kplus.Cpu.units(1) }), 'resources.memory.limit'),
    mutation('resources.memory', shared('{ request: "128Mi" }', { request: '128Mi' }), 'resources.memory.request'),
    mutation('resources.ephemeralStorage', shared('{ request: Size.gibibytes(2), limit: Size.gibibytes(1) }', { request: Size.gibibytes(2), limit: Size.gibibytes(1) }),
      'resources.ephemeralStorage.request'),
  );
  return out;
}

const typeMutations = (spec: any) => propsMutations(CLASS, spec);
const mutations = mutationsOf(typeMutations, semanticMutations);

describe('EnvoyJwtProxy properties', () => {
  test('1000 valid prop sets: schema-valid documents, the same YAML from two fresh apps', () => {
    expect(checkValidSpecs(CASE, { seed: 20251241, numRuns: 1000 })).toBeGreaterThan(3000);
  }, TIMEOUT);

  test('1000 invalid prop sets: the standard error names the prop; the id can be used again', () => {
    checkInvalidSpecs(CASE, mutations, { seed: 20251242, numRuns: 1000 });
  }, TIMEOUT);

  test('secrets in invalid positions never appear in the error', () => {
    fc.assert(fc.property(valid, secretArb, word(10), fc.constantFrom('https', 'http', 'HTTPS'), shortLabel, fc.nat(),
      (spec, secret, user, scheme, host, pick) => {
        const uris = [
          `${scheme}://${encodeURIComponent(user)}:${secret}@${host}.example.com/jwks`,
          `${scheme}://${secret}@${host}.example.com/jwks`,
          `${scheme}://${encodeURIComponent(user)}:${secret}@localhost/jwks`,
          `${scheme}://${encodeURIComponent(user)}:${secret}@169.254.169.254/jwks`,
          ` ${scheme}://${encodeURIComponent(user)}:${secret}@${host}.example.com/jwks`,
        ];
        const uri = uris[pick % uris.length];
        // the URL is checked where it is given: JwksSource.fromUri
        expectRefusedWithoutSecret(() => JwksSource.fromUri(uri), 'JwksSource.fromUri', 'uri', secret);
        // a caller without the types passes it to the proxy as the key source, or as the jwt.jwksUri of earlier versions
        const { chart } = newApp();
        const withoutKeys = applyMutation(materialize(spec, chart, 'a'), mutation('jwt.jwks', DELETE), chart, 'm');
        const [bad, prop] = Math.floor(pick / uris.length) % 2 === 0
          ? [applyMutation(withoutKeys, mutation('jwt.jwks', uri), chart, 'm'), 'jwt.jwks']
          : [applyMutation(withoutKeys, mutation('jwt.jwksUri', uri), chart, 'm'), 'jwt.jwksUri'];
        expectRefusedWithoutSecret(() => CASE.create(chart, CASE.id, bad), `${CLASS} c/${CASE.id}`, prop, secret);
      }), { seed: 20251243, numRuns: 500 });
  }, TIMEOUT);

  test('bad JWKS URLs and TLS Secret names are refused by their factories (JwksSource.fromUri, TlsCertificate.fromSecret), before the proxy sees them', () => {
    for (const bad of BAD_JWKS_URIS) {
      expectRefused(() => JwksSource.fromUri(bad), 'JwksSource.fromUri', 'uri');
    }
    for (const bad of BAD_DNS_SUBDOMAINS) {
      expectRefused(() => TlsCertificate.fromSecret(bad), 'TlsCertificate.fromSecret', 'secretName');
    }
  });

  test('negative controls: the checks catch a schema-invalid document, non-determinism, a TypeError, a wrong prop, acceptance', () => {
    expectChecksCatchBrokenCases(CASE, mutations);
  }, TIMEOUT);
});

import * as fc from 'fast-check';
import {
  backendFromName, backendFromService, dnsLabel, dnsSubdomain, grpcBackend, hostList, hostname, istioJwt, labels, method, millis, word,
} from './_arbitraries';
import {
  BAD_DNS_LABELS, BAD_DNS_SUBDOMAINS, durationMutations, hostListMutations, integerMutations, labelMapMutations, labelMutations,
} from './_mutations';
import {
  applyMutation, checkInvalidSpecs, checkValidSpecs, ConstructCase, DELETE, expectChecksCatchBrokenCases, expectRefusedWithoutSecret,
  Make, materialize, Mutation, mutation, mutationsOf, newApp, props, propsMutations, secretArb, shared,
} from './_support';
import { Backend, IstioGateway, IstioGrpcIngress, JwksSource, JwtAudiences, TlsCertificate, TlsTermination } from '../../src';

const CLASS = 'IstioGrpcIngress';
const TIMEOUT = 120_000;
const RETRY_ON = [
  '5xx', 'gateway-error', 'reset', 'reset-before-request', 'connect-failure', 'envoy-ratelimited', 'retriable-4xx',
  'refused-stream', 'retriable-status-codes', 'retriable-headers', 'http3-post-connect-failure',
  'cancelled', 'deadline-exceeded', 'internal', 'resource-exhausted', 'unavailable',
];

const retries = props({}, {
  attempts: fc.integer({ min: 0, max: 100 }),
  perTryTimeout: millis,
  retryOn: fc.array(fc.oneof(fc.constantFrom(...RETRY_ON), fc.integer({ min: 100, max: 599 }).map(String)), { minLength: 1, maxLength: 5 }),
});

/** A user name: 1 to 256 characters, no ':' and no control characters. */
const username = fc.oneof(
  { weight: 9, arbitrary: fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABC0123456789 .-_@!éß日'.split('')), minLength: 1, maxLength: 20 }) },
  { weight: 1, arbitrary: fc.constant('u'.repeat(256)) },
);
const password = fc.oneof(fc.string({ minLength: 1, maxLength: 30 }), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 }));

const basicAuth = props({
  credentials: fc.uniqueArray(fc.record({ username, password }), { minLength: 1, maxLength: 3, selector: c => c.username }),
}, {
  methods: fc.array(method, { maxLength: 4 }).map(ms => [...ms, 'POST']),
  pathPrefix: fc.stringMatching(/^\/[!-~]{0,20}$/),
  realm: fc.stringMatching(/^[A-Za-z0-9._~-]{1,20}$/),
  pluginUrl: fc.tuple(fc.constantFrom('oci', 'https', 'file'), hostname, fc.stringMatching(/^[!-~]{0,20}$/)).map(([s, h, p]) => `${s}://${h}/${p}`),
  pluginSha256: fc.stringMatching(/^[a-f0-9]{64}$/),
});

// ---------------------------------------------------------------------------------------------
// The JWT issuer (JwtIssuer: the key source and the audiences are values of their own classes)
// ---------------------------------------------------------------------------------------------

/** A JwtIssuer (the shared arbitrary). */
const jwtIssuer = istioJwt;

// ---------------------------------------------------------------------------------------------
// The gateway (IstioGateway: a Gateway the ingress creates, or one that exists)
// ---------------------------------------------------------------------------------------------

const DEFAULT_PODS = { namespace: 'istio-system', selector: { istio: 'ingressgateway' } };

/**
 * `IstioGateway.create(options)` or `IstioGateway.existing(options)`, built per app; `change`
 * (a mutation of the options, by options path) makes a gateway the ingress must refuse.
 */
class GatewayMake extends Make<IstioGateway> {
  constructor(public readonly kind: 'create' | 'existing', public readonly options: any, change?: Mutation) {
    super(`IstioGateway.${kind}(${fc.stringify(options)})${change === undefined ? '' : ` with ${change.path} = ${fc.stringify(change.value)}`}`,
      (chart, tag) => {
        const built = materialize(options, chart, tag);
        return IstioGateway[kind](change === undefined ? built : applyMutation(built, change, chart, tag));
      });
  }

  /** A mutation of the ingress's `gateway`: these options with `change`, refused as `gateway.<change path>`. */
  public mutated(change: Mutation, basis: any = this.options): Mutation {
    return mutation('gateway', new GatewayMake(this.kind, basis, change), `gateway.${change.expect ?? change.path}`);
  }
}

const tlsSecret = dnsSubdomain.map(n => ({ label: `TlsCertificate.fromSecret(${JSON.stringify(n)})`, make: () => TlsCertificate.fromSecret(n) }));
const istioTls = fc.oneof(
  fc.constant(shared('TlsTermination.atLoadBalancer()', TlsTermination.atLoadBalancer())),
  tlsSecret.map(c => new Make(`TlsTermination.atProxy(${c.label})`, () => TlsTermination.atProxy(c.make()))),
  tlsSecret.map(c => new Make(`TlsTermination.mutualAtProxy(${c.label})`, () => TlsTermination.mutualAtProxy(c.make()))),
);
const proxyPods = fc.record({ namespace: dnsLabel, selector: labels });

const createdGateway = props({ tls: istioTls }, { httpsRedirect: fc.boolean(), pods: proxyPods }).map(o => new GatewayMake('create', o));
const existingGateway = fc.record({ name: dnsSubdomain, namespace: dnsLabel, pods: proxyPods }).map(o => new GatewayMake('existing', o));

type Mode = 'jwt' | 'basic' | 'open';

function specs(mode: Mode, existing: boolean): fc.Arbitrary<any> {
  const auth = {
    jwt: props({ jwt: jwtIssuer, acknowledgeGatewayWideJwt: fc.constant(true) }, { allowUnauthenticated: fc.constant(false) }),
    basic: props({ basicAuth }, { allowUnauthenticated: fc.constant(false), acknowledgeGatewayWideJwt: fc.boolean() }),
    open: props({ allowUnauthenticated: fc.constant(true) }, { acknowledgeGatewayWideJwt: fc.boolean() }),
  }[mode];
  const gateway = props({ gateway: existing ? existingGateway : createdGateway }, {});
  const rest = props({ hosts: hostList(mode !== 'basic', 8), backend: grpcBackend }, {
    timeout: millis, retries, allowDirectBackendAccess: fc.boolean(),
  });
  return fc.tuple(rest, auth, gateway).map(([a, b, c]) => ({ ...a, ...b, ...c }));
}

const valid = fc.oneof(...(['jwt', 'basic', 'open'] as Mode[]).flatMap(m => [specs(m, false), specs(m, true)]));

const CASE: ConstructCase<any> = {
  className: CLASS,
  id: 'api',
  valid,
  create: (chart, id, p) => {
    new IstioGrpcIngress(chart, id, p);
  },
};

/** Backends whose port is known not to be gRPC. */
const NOT_GRPC = [
  ...fc.sample(backendFromService(fc.constantFrom('http', 'h2c', 'grpcweb')), { numRuns: 3, seed: 1 }),
  ...fc.sample(backendFromName(fc.constantFrom({ portName: 'grpcx' }, { portName: 'http', appProtocol: 'http' }, { appProtocol: 'kubernetes.io/h2c' })),
    { numRuns: 3, seed: 2 }),
];

const modeOf = (spec: any): Mode => (spec.jwt !== undefined ? 'jwt' : spec.basicAuth !== undefined ? 'basic' : 'open');

/** Breaks one documented rule of the JwtIssuer at `p` (what its types allow; its factories check the rest). */
function jwtIssuerMutations(p: string): Mutation[] {
  const out: Mutation[] = [];
  for (const bad of ['', ' ', 'a b', 'x\ty', 'x'.repeat(2049), 'new\nline', '\u0000', ' https://issuer.example.com']) {
    out.push(mutation(`${p}.issuer`, bad));
  }
  out.push(mutation(`${p}.jwks`, DELETE), mutation(`${p}.audiences`, DELETE));
  return out;
}

/** Values the documentation rules out, prop by prop, for this spec. */
function semanticMutations(spec: any): Mutation[] {
  const out: Mutation[] = [];
  const mode = modeOf(spec);
  const hosts: string[] = spec.hosts;
  out.push(...hostListMutations('hosts', hosts));
  if (mode === 'basic') {
    out.push(mutation(`hosts[${hosts.length}]`, '*.wild.example.com', 'hosts'));
  }
  out.push(
    mutation('backend', shared('Backend.fromName("svc", 8500, { portName: "http" })', Backend.fromName('svc', 8500, { portName: 'http' }))),
    mutation('backend', shared('Backend.fromName("svc", 8500, { appProtocol: "http" })', Backend.fromName('svc', 8500, { appProtocol: 'http' }))),
    ...NOT_GRPC.map(b => mutation('backend', b)),
  );
  const gateway: GatewayMake = spec.gateway;
  if (gateway.kind === 'create') {
    // TLS this front door does not support: none, or a certificate resolver (Traefik's)
    out.push(
      gateway.mutated(mutation('tls', shared('TlsTermination.insecurePlainHttp()', TlsTermination.insecurePlainHttp()))),
      gateway.mutated(mutation('tls', shared('TlsTermination.atProxy(TlsCertificate.fromTraefikCertResolver("le"))',
        TlsTermination.atProxy(TlsCertificate.fromTraefikCertResolver('le'))))),
    );
  } else {
    out.push(...labelMutations('name', BAD_DNS_SUBDOMAINS).map(m => gateway.mutated(m)));
    out.push(...labelMutations('namespace', BAD_DNS_LABELS).map(m => gateway.mutated(m)));
  }
  // the gateway pods (a created gateway without pods: the default ones, with one of them changed)
  const withPods = { ...gateway.options, pods: gateway.options.pods ?? DEFAULT_PODS };
  out.push(...labelMapMutations('pods.selector').map(m => gateway.mutated(m, withPods)));
  out.push(...labelMutations('pods.namespace', BAD_DNS_LABELS).map(m => gateway.mutated(m, withPods)));
  out.push(...durationMutations('timeout', false), ...durationMutations('retries.perTryTimeout', false));
  out.push(...integerMutations('retries.attempts', 0, 100));
  out.push(mutation('retries.retryOn', []));
  for (const bad of ['bogus', '600', '5XX', 'Unavailable', '', ' unavailable', '99']) {
    out.push(mutation('retries.retryOn', [bad]), mutation(`retries.retryOn[${spec.retries?.retryOn?.length ?? 0}]`, bad));
  }
  if (mode === 'basic') {
    const creds: any[] = spec.basicAuth.credentials;
    out.push(mutation('basicAuth.credentials', []));
    creds.forEach((_, i) => {
      for (const bad of ['', 'a:b', 'a\nb', 'x'.repeat(257), 'tab\there', '\u0000', 'del\u007f']) {
        out.push(mutation(`basicAuth.credentials[${i}].username`, bad));
      }
      out.push(mutation(`basicAuth.credentials[${i}].password`, ''));
    });
    out.push(mutation(`basicAuth.credentials[${creds.length}]`, { ...creds[0] }, `basicAuth.credentials[${creds.length}].username`));
    for (const bad of [[], ['GET'], ['HEAD', 'GET']]) {
      out.push(mutation('basicAuth.methods', bad));
    }
    for (const bad of [['post'], ['POST', 'get'], ['POST', 'P O'], ['POST', '']]) {
      out.push(mutation('basicAuth.methods', bad));
    }
    for (const bad of ['v1', '/a b', '', ' /']) {
      out.push(mutation('basicAuth.pathPrefix', bad));
    }
    for (const bad of ['a b', '"x"', '', 'realm\n', 'a,b']) {
      out.push(mutation('basicAuth.realm', bad));
    }
    for (const bad of ['ghcr.io/x', 'http://x.example.com/p', '', 'oci://', 'oci://a b']) {
      out.push(mutation('basicAuth.pluginUrl', bad));
    }
    for (const bad of ['A'.repeat(64), 'a'.repeat(63), 'g'.repeat(64), `${'a'.repeat(64)} `]) {
      out.push(mutation('basicAuth.pluginSha256', bad));
    }
    out.push(mutation('jwt', {
      issuer: 'https://i.example.com', jwks: shared('JwksSource.fromUri(i)', JwksSource.fromUri('https://i.example.com/jwks')), audiences: shared('JwtAudiences.of(["a"])', JwtAudiences.of(['a'])),
    }));
  }
  if (mode === 'jwt') {
    out.push(...jwtIssuerMutations('jwt'));
    out.push(mutation('acknowledgeGatewayWideJwt', false), mutation('acknowledgeGatewayWideJwt', DELETE));
  }
  if (mode === 'open') {
    out.push(mutation('allowUnauthenticated', false, 'jwt'), mutation('allowUnauthenticated', DELETE, 'jwt'));
  } else {
    out.push(mutation('allowUnauthenticated', true));
  }
  return out;
}

const typeMutations = (spec: any) => propsMutations(CLASS, spec);
const mutations = mutationsOf(typeMutations, semanticMutations);

describe('IstioGrpcIngress properties', () => {
  test('1000 valid prop sets: schema-valid documents, the same YAML from two fresh apps', () => {
    expect(checkValidSpecs(CASE, { seed: 20251201, numRuns: 1000 })).toBeGreaterThan(1000);
  }, TIMEOUT);

  test('1000 invalid prop sets: the standard error names the prop; the id can be used again', () => {
    checkInvalidSpecs(CASE, mutations, { seed: 20251202, numRuns: 1000 });
  }, TIMEOUT);

  test('secrets in invalid positions never appear in the error', () => {
    const basic = fc.oneof(specs('basic', false), specs('basic', true));
    const positions = (secret: string, spec: any): Mutation[] => {
      const n = spec.basicAuth.credentials.length;
      return [
        mutation('basicAuth.credentials[0].username', `alice:${secret}`),
        mutation(`basicAuth.credentials[${n - 1}].username`, `bob:${secret}:x`),
        mutation('basicAuth.credentials[0].password', { value: secret }),
        mutation('basicAuth.credentials[0].password', [secret]),
        mutation('basicAuth.credentials[0].password', ''),
        mutation('basicAuth.credentials[0].username', ''),
        mutation(`basicAuth.credentials[${n}]`, { ...spec.basicAuth.credentials[0] }, `basicAuth.credentials[${n}].username`),
        mutation('basicAuth.credentials', `alice:${secret}`),
        mutation('basicAuth.credentials[0]', `alice:${secret}`),
        mutation('basicAuth.credentials[0]', ['alice', secret]),
        mutation('basicAuth.credentials[0].extra', secret),
        mutation('basicAuth', `alice:${secret}`),
      ];
    };
    fc.assert(fc.property(basic, secretArb, fc.nat(), (spec, secret, pick) => {
      // every password is the secret, so no message about any prop may show a password
      const credentials = spec.basicAuth.credentials.map((c: any) => ({ ...c, password: secret }));
      const withSecret = { ...spec, basicAuth: { ...spec.basicAuth, credentials } };
      const list = positions(secret, withSecret);
      const m = list[pick % list.length];
      const { chart } = newApp();
      const bad = applyMutation(materialize(withSecret, chart, 'a'), m, chart, 'm');
      expectRefusedWithoutSecret(() => CASE.create(chart, 'api', bad), `${CLASS} c/api`, m.expect ?? m.path, secret);
    }), { seed: 20251203, numRuns: 1000 });
    // A JWKS URI with credentials: refused by JwksSource.fromUri, before the ingress sees it.
    const jwt = fc.oneof(specs('jwt', false), specs('jwt', true));
    fc.assert(fc.property(jwt, secretArb, word(10), fc.constantFrom('https', 'http'), (spec, secret, user, scheme) => {
      const { chart } = newApp();
      const uri = `${scheme}://${encodeURIComponent(user)}:${secret}@issuer.example.com/jwks`;
      const bad = materialize(spec, chart, 'a');
      expectRefusedWithoutSecret(() => CASE.create(chart, 'api', { ...bad, jwt: { ...bad.jwt, jwks: JwksSource.fromUri(uri) } }),
        'JwksSource.fromUri', 'uri', secret);
    }), { seed: 20251204, numRuns: 300 });
  }, TIMEOUT);

  test('negative controls: the checks catch a schema-invalid document, non-determinism, a TypeError, a wrong prop, acceptance', () => {
    expectChecksCatchBrokenCases(CASE, mutations);
  }, TIMEOUT);
});

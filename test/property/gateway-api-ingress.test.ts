import { Duration } from 'cdk8s';
import * as fc from 'fast-check';
import {
  anyBackend, awsNlbTlsOptions, backendFromName, backendFromService, dnsLabel, dnsSubdomain, externalAuthorizationProvider, gatewayApiTls,
  grpcPortName, hostList, istioJwt, labelKey, millis, portName, shortLabel, word,
} from './_arbitraries';
import { BAD_DNS_LABELS, durationMutations, hostListMutations, jwtMutations, providerMutations } from './_mutations';
import {
  applyMutation, argsMutations, checkInvalidSpecs, checkValidSpecs, ConstructCase, DELETE, expectChecksCatchBrokenCases, expectRefused,
  expectRefusedWithoutSecret, Make, materialize, Mutation, mutation, mutationsOf, NAMESPACE, newApp, props, propsMutations, secretArb,
  shared,
} from './_support';
import {
  AwsNlbTls, Backend, GatewayApiGateway, GatewayApiGrpcIngress, GatewayApiHttpIngress, GatewayImplementation, JwksSource, TlsCertificate,
  TlsTermination,
} from '../../src';

const TIMEOUT = 120_000;
type Kind = 'grpc' | 'http';
type Impl = 'istio' | 'eg';
type Auth = 'jwt' | 'ext' | 'jwt+ext' | 'open';

/** A backend in the chart's namespace (or none said): gRPC for the GRPCRoute, any for the HTTPRoute. */
function backend(kind: Kind): fc.Arbitrary<Make<Backend>> {
  if (kind === 'http') {
    return anyBackend(fc.constant(NAMESPACE));
  }
  return fc.oneof(
    {
      weight: 3,
      arbitrary: backendFromName(fc.oneof(
        props({}, { namespace: fc.constant(NAMESPACE) }),
        props({ portName: grpcPortName }, { namespace: fc.constant(NAMESPACE) }),
        props({ appProtocol: fc.constantFrom('grpc', 'GRPC') }, { portName, namespace: fc.constant(NAMESPACE) }),
      )),
    },
    { weight: 1, arbitrary: backendFromService(grpcPortName) },
  );
}

const implementation = (impl: Impl) => (impl === 'istio'
  ? fc.option(props({}, { gatewayClassName: dnsSubdomain }).map(o =>
    shared(`GatewayImplementation.istio(${JSON.stringify(o)})`, GatewayImplementation.istio(o))), { nil: undefined })
  : props({}, { gatewayClassName: dnsSubdomain, proxyNamespace: dnsLabel }).map(o =>
    shared(`GatewayImplementation.envoyGateway(${JSON.stringify(o)})`, GatewayImplementation.envoyGateway(o))));

/** Annotations: any keys Kubernetes takes, any string values; or the AWS NLB ones. */
const annotations = fc.oneof(
  fc.dictionary(labelKey, fc.string({ unit: 'grapheme', maxLength: 40 }), { minKeys: 0, maxKeys: 6 }),
  awsNlbTlsOptions.map(o => AwsNlbTls.annotations(o)),
);

/** The statuses Envoy Gateway's SecurityPolicy takes for extAuth.statusOnError (its schema's enum). */
const EG_STATUSES = [...Array.from({ length: 18 }, (_, i) => 400 + i), 421, 422, 423, 424, 426, 428, 429, 431,
  ...Array.from({ length: 9 }, (_, i) => 500 + i), 510, 511];
/** An external authorization service, as Envoy Gateway takes it (no headers to the denied client and one of its error statuses). */
const externalAuthorization = externalAuthorizationProvider(false, fc.constantFrom(...EG_STATUSES));

/** Path prefixes of an HTTPRoute: "/" or normalized prefixes. */
const pathPrefixes = fc.uniqueArray(fc.oneof(fc.constant('/'), fc.stringMatching(/^(\/[A-Za-z0-9\-_~!$&'()*+,;=:@]{1,12}){1,3}$/)
  .filter(p => !p.split('/').some(s => s === '.' || s === '..'))), { minLength: 1, maxLength: 4 });

/**
 * The Gateway of a spec: `GatewayApiGateway.create` or `.existing` of `options` (plain data, with
 * `Make` values), built per app; mutations replace one option.
 */
class GatewaySpec extends Make<GatewayApiGateway> {
  constructor(public readonly how: 'create' | 'existing', public readonly options: { readonly [key: string]: unknown }) {
    super(`GatewayApiGateway.${how}(${fc.stringify(options)})`, (chart, tag) => (how === 'create'
      ? GatewayApiGateway.create(materialize(options, chart, tag))
      : GatewayApiGateway.existing(materialize(options, chart, tag))));
  }

  /** On Envoy Gateway. */
  public get eg(): boolean {
    const impl = this.options.implementation;
    return impl instanceof Make && impl.label.startsWith('GatewayImplementation.envoyGateway');
  }

  /** The same Gateway with options replaced (`DELETE`: left out). */
  public with(changes: { readonly [key: string]: unknown }): GatewaySpec {
    const options: { [key: string]: unknown } = { ...this.options, ...changes };
    for (const [k, v] of Object.entries(changes)) {
      if (v === DELETE) {
        delete options[k];
      }
    }
    return new GatewaySpec(this.how, options);
  }
}

function specs(kind: Kind, impl: Impl, auth: Auth, existing: boolean): fc.Arbitrary<any> {
  const authProps = props({
    ...(auth.startsWith('jwt') ? { jwt: istioJwt } : {}),
    ...(auth.endsWith('ext') ? { externalAuthorization } : {}),
    ...(auth === 'open' ? { allowUnauthenticated: fc.constant(true) } : {}),
  }, auth === 'open' ? {} : { allowUnauthenticated: fc.constant(false) });
  const acknowledge: { [k: string]: fc.Arbitrary<unknown> } = impl === 'eg' ? {} : existing && auth === 'jwt' ? { acknowledgeGatewayWideJwt: fc.constant(true) } : {};
  const gatewayOptions = existing
    ? props({ namespace: dnsLabel, name: dnsLabel }, { listenerName: dnsLabel })
    : props({ tls: gatewayApiTls }, { infrastructureAnnotations: annotations, httpsRedirect: fc.boolean() });
  const gateway = fc.tuple(gatewayOptions, implementation(impl)).map(([o, i]) =>
    new GatewaySpec(existing ? 'existing' : 'create', i === undefined ? o : { ...o, implementation: i }));
  const others = props({ ...acknowledge }, {
    ...(!existing && impl === 'istio' && auth !== 'jwt' ? { acknowledgeGatewayWideJwt: fc.boolean() } : {}),
  });
  const rest = props({ hosts: hostList(impl === 'eg' || auth === 'open', 8), backend: backend(kind), gateway }, {
    allowDirectBackendAccess: fc.boolean(),
    ...(impl === 'eg' || kind === 'http' ? { timeout: millis } : {}),
    ...(kind === 'http' ? { pathPrefixes } : {}),
  });
  return fc.tuple(rest, authProps, others).map(([a, b, c]) => ({ ...a, ...b, ...c }));
}

function valid(kind: Kind): fc.Arbitrary<any> {
  const all: fc.Arbitrary<any>[] = [];
  for (const existing of [false, true]) {
    all.push(specs(kind, 'istio', 'jwt', existing), specs(kind, 'istio', 'open', existing));
    for (const auth of ['jwt', 'ext', 'jwt+ext', 'open'] as Auth[]) {
      all.push(specs(kind, 'eg', auth, existing));
    }
  }
  return fc.oneof(...all);
}

const CASES: { [kind in Kind]: ConstructCase<any> } = {
  grpc: {
    className: 'GatewayApiGrpcIngress',
    id: 'grpc',
    valid: valid('grpc'),
    create: (chart, id, p) => {
      new GatewayApiGrpcIngress(chart, id, p);
    },
  },
  http: {
    className: 'GatewayApiHttpIngress',
    id: 'http',
    valid: valid('http'),
    create: (chart, id, p) => {
      new GatewayApiHttpIngress(chart, id, p);
    },
  },
};

/** Backends refused everywhere: a Service in another namespace. */
const OTHER_NAMESPACE = [
  shared('Backend.fromName("svc", 8500, { namespace: "ml2", portName: "grpc" })', Backend.fromName('svc', 8500, { namespace: 'ml2', portName: 'grpc' })),
  ...fc.sample(backendFromName(fc.constant({ namespace: 'other', portName: 'grpc' })), { numRuns: 2, seed: 2 }),
];
/** Backends a GRPCRoute refuses: a port known not to be gRPC. */
const NOT_GRPC = [
  ...fc.sample(backendFromService(fc.constantFrom('http', 'h2c')), { numRuns: 2, seed: 1 }),
  ...fc.sample(backendFromName(fc.constantFrom({ portName: 'http' }, { appProtocol: 'http' })), { numRuns: 2, seed: 3 }),
];

/** Past the Gateway API schemas' limits: 16 route hostnames, 16 infrastructure annotations of up to 4096 characters, 64 matches. */
const MANY_HOSTS = Array.from({ length: 17 }, (_, i) => `h${i}.example.com`);
const MANY_ANNOTATIONS = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`example.com/a${i}`, 'x']));
const MANY_PREFIXES = Array.from({ length: 65 }, (_, i) => `/p${i}`);

function semanticMutations(kind: Kind) {
  return (spec: any): Mutation[] => {
    const gw: GatewaySpec = spec.gateway;
    const eg = gw.eg;
    const existing = gw.how === 'existing';
    /** The Gateway with `changes`, refused at `gateway.<at>`. */
    const gateway = (changes: { [key: string]: unknown }, at: string) => mutation('gateway', gw.with(changes), `gateway.${at}`);
    const out: Mutation[] = [...hostListMutations('hosts', spec.hosts), ...OTHER_NAMESPACE.map(b => mutation('backend', b))];
    out.push(mutation('hosts', MANY_HOSTS));
    if (!existing) {
      out.push(gateway({ infrastructureAnnotations: MANY_ANNOTATIONS }, 'infrastructureAnnotations'),
        gateway({ infrastructureAnnotations: { 'example.com/long': 'x'.repeat(4097) } }, 'infrastructureAnnotations.example.com/long'));
    }
    if (kind === 'http') {
      out.push(mutation('pathPrefixes', MANY_PREFIXES));
    }
    if (kind === 'grpc') {
      out.push(...NOT_GRPC.map(b => mutation('backend', b)));
    }
    const jwt = spec.jwt !== undefined;
    const ext = spec.externalAuthorization !== undefined;
    if (jwt) {
      out.push(...jwtMutations('jwt', spec.jwt));
      if (!eg) {
        out.push(mutation(`hosts[${spec.hosts.length}]`, '*.wild.example.com', 'hosts'));
      }
    }
    if (jwt || ext) {
      out.push(mutation('allowUnauthenticated', true));
    } else {
      out.push(mutation('allowUnauthenticated', false, 'jwt'), mutation('allowUnauthenticated', DELETE, 'jwt'));
    }
    const provider = { name: 'authz', service: 'authz.auth.svc.cluster.local', port: 8080 };
    if (eg) {
      out.push(mutation('acknowledgeGatewayWideJwt', true), mutation('acknowledgeGatewayWideJwt', false));
    } else {
      out.push(mutation('externalAuthorization', provider, jwt ? undefined : 'allowUnauthenticated'));
      if (kind === 'grpc') {
        out.push(mutation('timeout', Duration.seconds(30)));
      }
    }
    if (ext) {
      out.push(...providerMutations('externalAuthorization', spec.externalAuthorization),
        mutation('externalAuthorization.headersToDownstreamOnDeny', ['set-cookie']),
        // Envoy Gateway writes durations in units of at most 5 digits (the SecurityPolicy schema): 100000h cannot be written
        mutation('externalAuthorization.timeout', Duration.hours(100000)),
        ...[418, 420, 425, 499, 509, 599].map(v => mutation('externalAuthorization.statusOnError', v)));
    }
    if (eg || kind === 'http') {
      out.push(...durationMutations('timeout', false), mutation('timeout', Duration.hours(100000)));
    }
    if (existing) {
      // A Gateway's namespace is a DNS-1123 label, its name a DNS-1123 subdomain.
      const badRefs: [string, string, string][] = [
        ['', 'gw', 'namespace'], ['a', 'b/c', 'name'], ['Istio-System', 'gw', 'namespace'], ['ns', '', 'name'], ['ns_1', 'gw', 'namespace'],
        ['', '', 'namespace'], [' ns', 'gw', 'namespace'], ['a'.repeat(64), 'gw', 'namespace'], ['ns', 'b'.repeat(64), 'name'], ['ns', 'Gw', 'name'],
        ['ns', 'gw.', 'name'], ['ns', 'g w', 'name'],
      ];
      for (const [namespace, name, at] of badRefs) {
        out.push(gateway({ namespace, name }, at));
      }
      out.push(...BAD_DNS_LABELS.map(bad => gateway({ listenerName: bad }, 'listenerName')));
      if (jwt && !eg) {
        out.push(mutation('acknowledgeGatewayWideJwt', false), mutation('acknowledgeGatewayWideJwt', DELETE));
      }
    } else {
      // Where TLS ends for a Gateway API Gateway: at the load balancer, or at the gateway with a Secret or cert-manager.
      const plain = shared('TlsTermination.insecurePlainHttp()', TlsTermination.insecurePlainHttp());
      const mutual = shared('TlsTermination.mutualAtProxy(TlsCertificate.fromSecret("ca"))', TlsTermination.mutualAtProxy(TlsCertificate.fromSecret('ca')));
      const resolver = shared('TlsTermination.atProxy(TlsCertificate.fromTraefikCertResolver("le"))',
        TlsTermination.atProxy(TlsCertificate.fromTraefikCertResolver('le')));
      out.push(gateway({ tls: plain }, 'tls'), gateway({ tls: mutual }, 'tls'), gateway({ tls: resolver }, 'tls.certificate'));
      for (const bad of [{ '-bad': 'x' }, { 'a/b/c': 'x' }, { '/x': 'y' }, { 'a b': 'c' }, { x: 'ok', ä: 'x' }]) {
        out.push(gateway({ infrastructureAnnotations: bad }, 'infrastructureAnnotations'));
      }
      out.push(...BAD_DNS_LABELS.map(bad => gateway({ name: bad }, 'name')));
    }
    if (kind === 'http') {
      const prefixes: string[] = spec.pathPrefixes ?? ['/'];
      out.push(mutation('pathPrefixes', []));
      for (const bad of ['v1', '/v1/', '//v1', '/v1//x', '/./x', '/x/..', '/a b', '/a%2F', '/a?b', '/a#b', `/${'a'.repeat(1024)}`, '', '/ä']) {
        out.push(mutation('pathPrefixes', [...prefixes, bad], `pathPrefixes[${prefixes.length}]`));
      }
      out.push(mutation('pathPrefixes', [...prefixes, prefixes[0]], `pathPrefixes[${prefixes.length}]`));
    }
    return out;
  };
}

function mutations(kind: Kind) {
  return mutationsOf((spec: any) => propsMutations(CASES[kind].className, spec), semanticMutations(kind));
}

for (const kind of ['grpc', 'http'] as Kind[]) {
  const c = CASES[kind];
  describe(`${c.className} properties`, () => {
    test('1000 valid prop sets (Istio and Envoy Gateway): schema-valid documents, the same YAML from two fresh apps', () => {
      expect(checkValidSpecs(c, { seed: kind === 'grpc' ? 20251211 : 20251221, numRuns: 1000 })).toBeGreaterThan(1000);
    }, TIMEOUT);

    test('1000 invalid prop sets: the standard error names the prop; the id can be used again', () => {
      checkInvalidSpecs(c, mutations(kind), { seed: kind === 'grpc' ? 20251212 : 20251222, numRuns: 1000 });
    }, TIMEOUT);

    test('secrets in invalid positions never appear in the error', () => {
      const withJwt = fc.oneof(specs(kind, 'istio', 'jwt', false), specs(kind, 'istio', 'jwt', true), specs(kind, 'eg', 'jwt', false),
        specs(kind, 'eg', 'jwt+ext', true));
      // A JWKS URL with credentials: refused where it is given (JwksSource.fromUri); and, given to the
      // construct in place of a JwksSource (the URL itself, the old jwt.jwksUri, an object holding it), refused there.
      const places = fc.constantFrom<[string, (uri: string) => unknown]>(
        ['jwt.jwks', uri => uri], ['jwt.jwks', uri => ({ uri })], ['jwt.jwksUri', uri => uri]);
      fc.assert(fc.property(withJwt, secretArb, word(10), fc.constantFrom('https', 'http', 'HTTPS'), shortLabel, places,
        (spec, secret, user, scheme, host, [at, value]) => {
          const { chart } = newApp();
          const uri = `${scheme}://${encodeURIComponent(user)}:${secret}@${host}.example.com/jwks`;
          expectRefusedWithoutSecret(() => JwksSource.fromUri(uri), 'JwksSource.fromUri', 'uri', secret);
          const bad = applyMutation(applyMutation(materialize(spec, chart, 'a'), mutation('jwt.jwks', DELETE), chart, 'm'),
            mutation(at, value(uri)), chart, 'm');
          expectRefusedWithoutSecret(() => c.create(chart, c.id, bad), `${c.className} c/${c.id}`, at, secret);
        }), { seed: kind === 'grpc' ? 20251213 : 20251223, numRuns: 300 });
    }, TIMEOUT);

    test('wrong shapes of the Gateway\'s options: refused by GatewayApiGateway.create and .existing, naming the option', () => {
      const gateways = fc.oneof(...(['istio', 'eg'] as Impl[]).flatMap(impl => [false, true].map(existing =>
        specs(kind, impl, 'open', existing).map(spec => spec.gateway as GatewaySpec))));
      const cases = gateways.chain(gw => fc.constantFrom(...argsMutations('GatewayApiGateway', gw.how, [gw.options])).map(m => ({ gw, m })));
      fc.assert(fc.property(cases, ({ gw, m }) => {
        const { chart } = newApp();
        const args = applyMutation({ options: materialize(gw.options, chart, 'a') }, m, chart, 'm');
        expectRefused(() => (gw.how === 'create' ? GatewayApiGateway.create(args.options) : GatewayApiGateway.existing(args.options)),
          `GatewayApiGateway.${gw.how}`, m.expect ?? m.path);
      }), { seed: kind === 'grpc' ? 20251214 : 20251224, numRuns: 500 });
    }, TIMEOUT);

    test('negative controls: the checks catch a schema-invalid document, non-determinism, a TypeError, a wrong prop, acceptance', () => {
      expectChecksCatchBrokenCases(c, mutations(kind));
    }, TIMEOUT);
  });
}

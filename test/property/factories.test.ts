/**
 * The static factories (and the two instance methods that take options): 1000 valid and 1000
 * invalid argument lists each. Valid ones return the same value in two fresh apps; invalid ones
 * are refused with the standard error `<Class>.<method>: invalid <arg> <value>: expected ...`
 * naming the argument; secrets passed in invalid positions never appear in the message.
 */
import { createHash } from 'crypto';
import { Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import * as fc from 'fast-check';
import {
  anyNameOptions, awsNlbTlsOptions, dns1035Label, dnsLabel, dnsSubdomain, hostList, httpsUrl, jwks, labels, port, PUBLIC_KEY_PEMS, resolverName, text,
} from './_arbitraries';
import { BAD_DNS_LABELS, BAD_DNS_SUBDOMAINS, BAD_JWKS_URIS, badHosts, integerMutations, labelMutations, sparseListMutations } from './_mutations';
import {
  applyMutation, argsMutations, DELETE, expectRefused, expectRefusedWithoutSecret, Make, materialize, Mutation, mutation, newApp,
  parameters, props, secretArb, shared,
} from './_support';
import {
  AwsNlbTls, Backend, BasicAuthUser, CertManagerIssuerKind, GatewayApiGateway, GatewayImplementation, IstioGateway, JsonWebKeySet, JwksSource,
  JwtAlgorithm, JwtAudiences, TlsCertificate, TlsTermination, TraefikRouteKind,
} from '../../src';

const TIMEOUT = 120_000;


interface FactoryCase {
  /** `<Class>.<method>`: the context of its errors. */
  readonly name: string;
  /** The errors' context is `name` exactly (false: it starts with it, as `Backend.fromService(<path>)`). */
  readonly exact?: boolean;
  readonly valid: fc.Arbitrary<unknown[]>;
  /** Calls the factory with materialized arguments; the default calls `<Class>.<method>(...args)`. */
  readonly call?: (args: any[], chart: Chart) => unknown;
  /** The result as text, to compare between two apps. */
  readonly render: (result: any) => string;
  /** Values the documentation rules out, by argument path (`options.port`). */
  readonly semantic?: (args: any[]) => Mutation[];
}

const CLASSES: { [name: string]: any } = {
  AwsNlbTls,
  Backend,
  BasicAuthUser,
  GatewayApiGateway,
  GatewayImplementation,
  IstioGateway,
  JsonWebKeySet,
  JwksSource,
  JwtAlgorithm,
  JwtAudiences,
  TlsCertificate,
  TlsTermination,
  TraefikRouteKind,
};

function split(name: string): [string, string] {
  const [c, m] = name.split('.');
  return [c, m];
}

function invoke(f: FactoryCase, args: unknown[], chart: Chart): unknown {
  const [c, m] = split(f.name);
  return f.call ? f.call(args, chart) : CLASSES[c][m](...args);
}

/** The arguments with one of them (or a prop in one) replaced. */
function mutateArgs(f: FactoryCase, args: unknown[], m: Mutation, chart: Chart): unknown[] {
  const names = parameters(...split(f.name)).map(p => p.name);
  const asObject = Object.fromEntries(names.map((n, i) => [n, args[i]]));
  const mutated = applyMutation(asObject, m, chart, 'm');
  return names.map(n => mutated[n]);
}

function mutationsOfArgs(f: FactoryCase, args: unknown[]): Mutation[] {
  return [...argsMutations(...split(f.name), args), ...(f.semantic?.(args) ?? [])];
}

const backendJson = (b: Backend) => JSON.stringify([b.serviceName, b.port, b.namespace, b.portName, b.appProtocol, b.service?.node.path]);

/** A cdk8s-plus Service with these ports (selecting pods). */
function service(ports: kplus.ServicePort[]): Make<kplus.Service> {
  return new Make(`Service ${JSON.stringify(ports)}`, (chart, tag) =>
    new kplus.Service(chart, `svc-${tag}`, { selector: kplus.Pods.select(chart, `pods-${tag}`, { labels: { app: 'model' } }), ports }));
}

const servicePorts = fc.uniqueArray(fc.record({ port, name: fc.stringMatching(/^[a-z]{1,6}$/) }), { minLength: 1, maxLength: 3, selector: p => p.port })
  .map(ps => ps.map((p, i) => ({ ...p, name: `${p.name}${i}` })));

// Basic auth: few distinct (username, password, salt) triples, so that bcrypt runs a few dozen times.
const USERNAMES = ['alice', 'bob', 'carol smith', 'Ærlig', 'u'.repeat(256)];
const PASSWORDS = ['password-1', 'pässwörd', 'p'.repeat(72), ':colon:', '日本語のパスワード'];
const SALTS = ['abcdefghijklmnopqrstuO', '.........................'.slice(0, 21) + 'e', 'ABCDEFGHIJKLMNOPQRSTUu'];

const BCRYPT64 = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const b64 = (n: number, seed: string) => Array.from(createHash('sha512').update(seed).digest().subarray(0, n), x => BCRYPT64[x % 64]).join('');
const hashes = fc.oneof(
  fc.tuple(fc.constantFrom('2a', '2b', '2y'), fc.integer({ min: 4, max: 31 }), fc.nat()).map(([v, c, s]) => `$${v}$${String(c).padStart(2, '0')}$${b64(53, String(s))}`),
  fc.tuple(fc.integer({ min: 1, max: 8 }), fc.nat()).map(([n, s]) => `$apr1$${b64(n, `s${s}`)}$${b64(22, String(s))}`),
  fc.nat().map(s => `{SHA}${createHash('sha1').update(String(s)).digest('base64')}`),
);

const RSA_1024_PEM = `-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDOTYVowZZywXRMbnHlm1FIL6VX
Z8c/lJJILzG7ZXvUlmp80ZhvI2Q0WWvvT9MY6gaKqW2PoHJvJz+9pUBejiQF/8Wc
86cYHUo2c0+ntUmtV0je7jG943a+BWGc2Ns0vPQPYI+ytlPYIjOplMxFY4blLxHj
BWZxfZP2JPbz6c1amwIDAQAB
-----END PUBLIC KEY-----`;
const X25519_PEM = `-----BEGIN PUBLIC KEY-----
MCowBQYDK2VuAyEAdeEgvzdqjlN5VmHejlmJa89j6t8WvYBZvVJwrm/38wM=
-----END PUBLIC KEY-----`;
const fakePrivateKey = (body: string) => `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----`;

const ALGORITHMS: { [key: string]: JwtAlgorithm[] } = {
  'RSA': [JwtAlgorithm.RS256, JwtAlgorithm.RS384, JwtAlgorithm.RS512, JwtAlgorithm.PS256, JwtAlgorithm.PS384, JwtAlgorithm.PS512],
  'P-256': [JwtAlgorithm.ES256],
  'Ed25519': [JwtAlgorithm.EDDSA],
};
const kid = fc.stringMatching(/^[!-~]{1,20}$/);
const pemAndOptions = fc.constantFrom(...Object.keys(PUBLIC_KEY_PEMS)).chain(key => fc.tuple(
  fc.constant(PUBLIC_KEY_PEMS[key]),
  props({}, { kid, algorithm: fc.constantFrom(...ALGORITHMS[key]).map(a => shared(`JwtAlgorithm.${a.name}`, a)) }),
));

/** The members of the fixed keys, as a JWKS document can list them (with `use`, `key_ops` or other members). */
const JWKS_KEYS = Object.values(PUBLIC_KEY_PEMS).map(pem => JsonWebKeySet.fromPublicKeyPem(pem).keys[0]);
const jwksJson = fc.uniqueArray(fc.tuple(fc.constantFrom(...JWKS_KEYS), fc.option(kid, { nil: undefined }),
  fc.constantFrom({}, { key_ops: ['verify'] }, { use: 'sig' }, { x5t: 'abc' }, { alg: undefined })), { minLength: 1, maxLength: 3, selector: ([k, id]) => id ?? k.kid })
  .map(keys => JSON.stringify({ keys: keys.map(([k, id, extra]) => ({ ...k, ...(id === undefined ? {} : { kid: id }), ...extra })) }));

// TLS, gateways: the values the front doors take.
const renderCertificate = (c: TlsCertificate) => JSON.stringify([c._describe(), c.secretName, c.traefikCertResolver, c._certManager]);
const renderTermination = (t: TlsTermination) => JSON.stringify([t._describe(), t._mode, t.certificate?.secretName, t.certificate?._certManager]);
/** Gateway options as text: library values by how they were made. */
const renderGateway = (options: unknown) => JSON.stringify(options, (_key, v) => (v instanceof TlsTermination ? renderTermination(v)
  : v instanceof GatewayImplementation ? v._describe() : v));

const certManagerOptions = props({ issuerName: dnsSubdomain }, {
  issuerKind: fc.constantFrom(...Object.values(CertManagerIssuerKind)), dnsNames: hostList(true), secretName: dnsSubdomain,
});
const fromSecret = dnsSubdomain.map(n => new Make(`TlsCertificate.fromSecret(${JSON.stringify(n)})`, () => TlsCertificate.fromSecret(n)));
const fromCertManager = certManagerOptions.map(o => new Make(`TlsCertificate.fromCertManager(${fc.stringify(o)})`, () => TlsCertificate.fromCertManager(o)));
const certificate = fc.oneof(
  fromSecret, fromCertManager,
  resolverName.map(n => new Make(`TlsCertificate.fromTraefikCertResolver(${JSON.stringify(n)})`, () => TlsCertificate.fromTraefikCertResolver(n))),
);
const atLoadBalancer = shared('TlsTermination.atLoadBalancer()', TlsTermination.atLoadBalancer());
const atProxy = (c: fc.Arbitrary<Make<TlsCertificate>>, m: 'atProxy' | 'mutualAtProxy' = 'atProxy') =>
  c.map(cert => new Make(`TlsTermination.${m}(${cert.label})`, (chart, tag) => TlsTermination[m](cert.build(chart, tag))));
const istioTls = fc.oneof(fc.constant(atLoadBalancer), atProxy(fc.oneof(fromSecret, fromCertManager)),
  atProxy(fc.oneof(fromSecret, fromCertManager), 'mutualAtProxy'));
const gatewayApiTls = fc.oneof(fc.constant(atLoadBalancer), atProxy(fc.oneof(fromSecret, fromCertManager)));
const proxyPods = fc.record({ namespace: dnsLabel, selector: labels });
const annotations = fc.dictionary(fc.stringMatching(/^([a-z0-9]{1,8}\.io\/)?[a-z][a-z0-9-]{0,10}$/), fc.string({ maxLength: 20 }), { maxKeys: 3 });
const implementation = fc.oneof(
  fc.option(props({}, { gatewayClassName: dnsSubdomain }), { nil: undefined })
    .map(o => new Make(`GatewayImplementation.istio(${fc.stringify(o)})`, () => GatewayImplementation.istio(o))),
  fc.option(props({}, { gatewayClassName: dnsSubdomain, proxyNamespace: dnsLabel }), { nil: undefined })
    .map(o => new Make(`GatewayImplementation.envoyGateway(${fc.stringify(o)})`, () => GatewayImplementation.envoyGateway(o))),
);

/** Valid arguments: no error, and the same result in two fresh apps. */
function checkValidArgs(f: FactoryCase, options: { seed: number; numRuns: number; endOnFailure?: boolean }): void {
  fc.assert(fc.property(f.valid, args => {
    const results = [newApp(), newApp()].map(({ chart }) => f.render(invoke(f, materialize(args, chart, 'a'), chart)));
    if (results[0] !== results[1]) {
      throw new Error(`different results: ${results[0]} vs ${results[1]}`);
    }
  }), options);
}

/** Each mutated argument list is refused with the standard error naming the argument. */
function checkInvalidArgs(f: FactoryCase, valid: fc.Arbitrary<unknown[]>, mutations: (args: unknown[]) => Mutation[],
  options: { seed: number; numRuns: number; endOnFailure?: boolean }): void {
  const arb = valid.chain(args => fc.constantFrom(...mutations(args)).map(m => ({ args, m })));
  fc.assert(fc.property(arb, ({ args, m }) => {
    const { chart } = newApp();
    const bad = mutateArgs(f, materialize(args, chart, 'a'), m, chart);
    expectRefused(() => invoke(f, bad, chart), f.name, m.expect ?? m.path, f.exact ?? true);
  }), options);
}

const FACTORIES: FactoryCase[] = [
  {
    name: 'Backend.fromName',
    valid: fc.tuple(dns1035Label, port, fc.option(anyNameOptions, { nil: undefined })),
    render: backendJson,
    semantic: () => [
      ...['Svc', '1svc', 'a.b', 'x'.repeat(64), '', '-a', 'a_b'].map(v => mutation('serviceName', v)),
      ...integerMutations('port', 1, 65535),
      ...labelMutations('options.namespace', BAD_DNS_LABELS),
      ...['grpc--x', 'x'.repeat(16), '123', 'Grpc', '-grpc', '', 'grpc_x'].map(v => mutation('options.portName', v)),
      ...['', '  '].map(v => mutation('options.appProtocol', v)),
    ],
  },
  {
    name: 'Backend.fromService',
    exact: false,
    valid: fc.tuple(servicePorts, fc.nat())
      .map(([ports, pick]) => [service(ports), ports.length > 1 ? { port: ports[pick % ports.length].port } : undefined]),
    call: args => Backend.fromService(args[0], args[1]),
    render: backendJson,
    semantic: ([svc]) => {
      const ports: kplus.ServicePort[] = JSON.parse((svc as Make).label.slice('Service '.length));
      let other = 1;
      while (ports.some(p => p.port === other)) {
        other++;
      }
      const out = [
        mutation('service', service([]), 'service.ports'),
        mutation('service', shared('{ node: { path: "x" }, ports: "x" }', { node: { path: 'x' }, ports: 'x' })),
        mutation('service', shared('{}', {})),
        mutation('options.port', other),
        ...integerMutations('options.port', 1, 65535),
      ];
      if (ports.length > 1) {
        out.push(mutation('options', DELETE, 'options.port'), mutation('options.port', DELETE));
      }
      return out;
    },
  },
  {
    name: 'BasicAuthUser.fromPassword',
    valid: fc.tuple(fc.constantFrom(...USERNAMES), fc.constantFrom(...PASSWORDS), fc.option(fc.constantFrom(...SALTS), { nil: undefined }))
      .map(([u, p, salt]) => [u, p, salt === undefined ? { cost: 4 } : { cost: 4, salt }]),
    render: (u: BasicAuthUser) => u.toHtpasswdLine(),
    semantic: () => [
      ...['', 'a:b', 'a\nb', 'x'.repeat(257), '\u0000x', 'tab\t', 'del\u007f'].map(v => mutation('username', v)),
      ...['', 'x'.repeat(73), 'é'.repeat(37)].map(v => mutation('password', v)),
      ...integerMutations('options.cost', 4, 31),
      ...['short', 'x'.repeat(22), '$'.repeat(22), `${'a'.repeat(21)}b`, '', `${'a'.repeat(22)}O`].map(v => mutation('options.salt', v)),
    ],
  },
  {
    name: 'BasicAuthUser.fromHash',
    valid: fc.tuple(fc.constantFrom(...USERNAMES), hashes),
    render: (u: BasicAuthUser) => `${u.toHtpasswdLine()} ${u.algorithm.name}`,
    semantic: () => [
      ...['', 'a:b', 'a\nb', 'x'.repeat(257)].map(v => mutation('username', v)),
      ...['plaintext-password', `$2b$03$${b64(53, 'a')}`, `$2b$32$${b64(53, 'a')}`, `$2b$10$${b64(52, 'a')}`, `$2c$10$${b64(53, 'a')}`,
        `$apr1$123456789$${b64(22, 'a')}`, `{SHA}${'A'.repeat(26)}=`, '', `$2b$10$${b64(53, 'a')}\n`].map(v => mutation('hash', v)),
    ],
  },
  {
    name: 'JsonWebKeySet.fromPublicKeyPem',
    valid: pemAndOptions,
    render: (s: JsonWebKeySet) => s.toJson(),
    semantic: ([pem]) => [
      ...['not a pem', fakePrivateKey('MIIE'), '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----', RSA_1024_PEM, X25519_PEM, '']
        .map(v => mutation('pem', v)),
      // the key ID and algorithm come from the options
      ...[
        ...['', 'a b', 'ä', '\u0000'].map(v => mutation('options.kid', v)),
        mutation('options.algorithm', shared('JwtAlgorithm.ES384', JwtAlgorithm.ES384)),
        mutation('options.algorithm', pem === PUBLIC_KEY_PEMS.RSA ? shared('JwtAlgorithm.EDDSA', JwtAlgorithm.EDDSA) : shared('JwtAlgorithm.RS256', JwtAlgorithm.RS256)),
      ],
    ],
  },
  {
    name: 'JsonWebKeySet.addPublicKeyPem',
    valid: pemAndOptions.filter(([pem]) => pem !== PUBLIC_KEY_PEMS['P-256']),
    call: args => {
      const set = JsonWebKeySet.fromPublicKeyPem(PUBLIC_KEY_PEMS['P-256'], { kid: 'base-key' });
      set.addPublicKeyPem(args[0], args[1]);
      return set;
    },
    render: (s: JsonWebKeySet) => s.toJson(),
    semantic: () => [
      ...['not a pem', fakePrivateKey('MIIE'), RSA_1024_PEM, X25519_PEM].map(v => mutation('pem', v)),
      ...[mutation('options.kid', 'base-key'), mutation('options.kid', 'a b')],
    ],
  },
  {
    name: 'JsonWebKeySet.fromJson',
    valid: jwksJson.map(j => [j]),
    render: (s: JsonWebKeySet) => s.toJson(),
    semantic: ([json]) => {
      const doc = JSON.parse(json as string);
      const first = doc.keys[0];
      const withKey = (change: object) => JSON.stringify({ keys: [...doc.keys, { ...first, kid: 'added', ...change }] });
      const at = `keys[${doc.keys.length}]`;
      return [
        ...['not json', '{}', '[]', '{"keys":[]}', '{"keys":"x"}', 'null', ''].map(v => mutation('json', v)),
        ...['{"keys":[null]}', '{"keys":[1]}', '{"keys":[[]]}'].map(v => mutation('json', v, 'keys[0]')),
        // errors inside the document name the key's path (keys[i].member), not the argument
        mutation('json', withKey({ d: 'AQAB' }), `${at}.d`), mutation('json', withKey({ kty: 'oct', k: 'AQAB' }), `${at}.k`),
        mutation('json', withKey({ kty: 'OCT' }), `${at}.kty`), mutation('json', withKey({ alg: 'HS256' }), `${at}.alg`),
        mutation('json', withKey({ use: 'enc' }), `${at}.use`), mutation('json', withKey({ key_ops: ['sign'] }), `${at}.key_ops`),
        mutation('json', withKey({ kid: first.kid }), `${at}.kid`), mutation('json', withKey({ kid: 'a b' }), `${at}.kid`),
        mutation('json', withKey(first.kty === 'RSA' ? { e: 'AQ' } : { x: 'not base64url!' }), first.kty === 'RSA' ? `${at}.e` : `${at}.x`),
        mutation('json', withKey(first.kty === 'RSA' ? { n: 'AQAB' } : { crv: 'P-192' }), first.kty === 'RSA' ? at : `${at}.crv`),
      ];
    },
  },
  {
    name: 'TlsCertificate.fromSecret',
    valid: dnsSubdomain.map(n => [n]),
    render: renderCertificate,
    semantic: () => labelMutations('secretName', BAD_DNS_SUBDOMAINS),
  },
  {
    name: 'TlsCertificate.fromCertManager',
    valid: certManagerOptions.map(o => [o]),
    render: renderCertificate,
    semantic: ([options]) => {
      const names: string[] = (options as any).dnsNames ?? ['api.example.com'];
      return [
        ...labelMutations('options.issuerName', BAD_DNS_SUBDOMAINS),
        ...labelMutations('options.secretName', BAD_DNS_SUBDOMAINS),
        mutation('options.dnsNames', []), ...sparseListMutations('options.dnsNames', names),
        mutation('options.dnsNames', [...names, names[0]], `options.dnsNames[${names.length}]`),
        ...badHosts(names[0]).map(h => mutation('options.dnsNames', [...names, h], `options.dnsNames[${names.length}]`)),
      ];
    },
  },
  {
    name: 'TlsCertificate.fromTraefikCertResolver',
    valid: resolverName.map(n => [n]),
    render: renderCertificate,
    semantic: () => ['', '-le', 'a b', 'a/b', '.x', 'ä', 'le\n'].map(v => mutation('resolverName', v)),
  },
  ...(['atProxy', 'mutualAtProxy'] as const).map(m => ({
    name: `TlsTermination.${m}`,
    valid: certificate.map(c => [c]),
    render: renderTermination,
  })),
  {
    name: 'JwksSource.fromUri',
    valid: httpsUrl.map(u => [u]),
    render: (j: JwksSource) => `${j.uri} ${j.keySet === undefined}`,
    semantic: () => BAD_JWKS_URIS.map(u => mutation('uri', u)),
  },
  {
    name: 'JwksSource.fromKeySet',
    valid: jwks.map(set => [set]),
    render: (j: JwksSource) => `${j.uri} ${j.keySet?.toJson()}`,
  },
  {
    name: 'JwtAudiences.of',
    valid: fc.array(text(20), { minLength: 1, maxLength: 4 }).map(list => [list]),
    render: (a: JwtAudiences) => JSON.stringify(a.audiences),
    semantic: ([list]) => {
      const audiences = list as string[];
      return [
        mutation('audiences', []), ...sparseListMutations('audiences', audiences),
        ...['', ' ', '\t'].map(v => mutation('audiences', [...audiences, v], `audiences[${audiences.length}]`)),
      ];
    },
  },
  {
    name: 'IstioGateway.create',
    valid: props({ tls: istioTls }, { name: dnsSubdomain, pods: proxyPods, httpsRedirect: fc.boolean(), loadBalancerAnnotations: annotations })
      .map(o => [o]),
    render: (g: IstioGateway) => renderGateway(g._create),
  },
  {
    name: 'IstioGateway.existing',
    valid: fc.record({ name: dnsSubdomain, namespace: dnsLabel, pods: proxyPods }).map(o => [o]),
    render: (g: IstioGateway) => renderGateway(g._existing),
  },
  {
    name: 'GatewayApiGateway.create',
    valid: props({ tls: gatewayApiTls }, { name: dnsSubdomain, implementation, httpsRedirect: fc.boolean(), infrastructureAnnotations: annotations })
      .map(o => [o]),
    render: (g: GatewayApiGateway) => `${renderGateway(g._create)} ${g._implementation._describe()}`,
  },
  {
    name: 'GatewayApiGateway.existing',
    valid: props({ name: dnsSubdomain, namespace: dnsLabel }, { listenerName: dnsSubdomain, implementation }).map(o => [o]),
    render: (g: GatewayApiGateway) => `${renderGateway(g._existing)} ${g._implementation._describe()}`,
  },
  {
    name: 'TraefikRouteKind.ingress',
    valid: fc.option(props({}, { ingressClassName: dnsLabel }), { nil: undefined }).map(o => [o]),
    render: (k: TraefikRouteKind) => `${k.kind} ${k.ingressClassName}`,
    semantic: () => labelMutations('options.ingressClassName', BAD_DNS_LABELS),
  },
  {
    name: 'GatewayImplementation.istio',
    valid: fc.option(props({}, { gatewayClassName: dnsSubdomain }), { nil: undefined }).map(o => [o]),
    render: (i: GatewayImplementation) => i.gatewayClassName,
    semantic: () => labelMutations('options.gatewayClassName', BAD_DNS_SUBDOMAINS),
  },
  {
    name: 'GatewayImplementation.envoyGateway',
    valid: fc.option(props({}, { gatewayClassName: dnsSubdomain, proxyNamespace: dnsLabel }), { nil: undefined }).map(o => [o]),
    render: (i: GatewayImplementation) => `${i.gatewayClassName} ${i._describe()}`,
    semantic: () => [...labelMutations('options.gatewayClassName', BAD_DNS_SUBDOMAINS), ...labelMutations('options.proxyNamespace', BAD_DNS_LABELS)],
  },
  {
    name: 'AwsNlbTls.annotations',
    valid: awsNlbTlsOptions.map(o => [o]),
    render: (a: object) => JSON.stringify(a),
    semantic: ([options]) => {
      const o = options as any;
      const arns: string[] = o.certificateArns;
      const ports: string[] = o.sslPorts ?? ['443'];
      const out = [
        mutation('options.certificateArns', []), ...sparseListMutations('options.certificateArns', arns),
        ...['arn:aws:acm:us-east-1:123:certificate/x', 'arn:aws:iam::123456789012:server-certificate/x', arns[0].toUpperCase(), arns[0], ` ${arns[0]}`, '']
          .map(v => mutation('options.certificateArns', [...arns, v], `options.certificateArns[${arns.length}]`)),
        mutation('options.sslPorts', []), ...sparseListMutations('options.sslPorts', ports),
        ...['0', '65536', 'a'.repeat(16), '-a', '443 ', '', '4_43', ports[0]]
          .map(v => mutation('options.sslPorts', [...ports, v], `options.sslPorts[${ports.length}]`)),
        // a Service port name (IANA_SVC_NAME) has no "--" (Backend.fromName refuses one)
        ...['https--x', 'a--b'].map(v => mutation('options.sslPorts', [...ports, v], `options.sslPorts[${ports.length}]`)),
        ...['ELBSecurityPolicy-2016-08', 'ELBSecurityPolicy-TLS-1-1-2017-01', 'elbsecuritypolicy-tls13-1-2-2021-06', '', 'ELBSecurityPolicy-TLS13-1-2-2021-06 ']
          .map(v => mutation('options.sslNegotiationPolicy', v)),
      ];
      if (o.grpc !== false) {
        out.push(mutation('options.alpnPolicy', 'HTTP1Only'), mutation('options.alpnPolicy', 'None'));
      }
      return out;
    },
  },
  {
    name: 'JwtAlgorithm.of',
    valid: fc.constantFrom('RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA').map(n => [n]),
    render: (a: JwtAlgorithm) => a.name,
    semantic: () => ['HS256', 'rs256', '', 'none', 'RS256 ', 'EDDSA', 'ES256K'].map(v => mutation('name', v)),
  },
];

describe.each(FACTORIES.map(f => [f.name, f] as const))('%s', (name, f) => {
  const seed = [...name].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) % 2_147_483_647, 7);

  test('1000 valid argument lists: no error, the same result in two fresh apps', () => {
    checkValidArgs(f, { seed, numRuns: 1000 });
  }, TIMEOUT);

  test('1000 invalid argument lists: the standard error names the argument', () => {
    checkInvalidArgs(f, f.valid, args => mutationsOfArgs(f, args), { seed: seed + 1, numRuns: 1000 });
  }, TIMEOUT);

});

describe('secrets in invalid positions never appear in the error', () => {
  const check = (name: string, call: () => unknown, prop: string, secret: string) => expectRefusedWithoutSecret(call, name, prop, secret);

  test('BasicAuthUser.fromPassword and fromHash: passwords, user:password names, plaintext hashes', () => {
    fc.assert(fc.property(secretArb, fc.constantFrom(...USERNAMES), fc.nat(), (secret, user, pick) => {
      const cases: [string, () => unknown, string][] = [
        ['BasicAuthUser.fromPassword', () => BasicAuthUser.fromPassword(`alice:${secret}`, secret, { cost: 4 }), 'username'],
        ['BasicAuthUser.fromPassword', () => BasicAuthUser.fromPassword('', secret, { cost: 4 }), 'username'],
        ['BasicAuthUser.fromPassword', () => BasicAuthUser.fromPassword(user, { secret } as any, { cost: 4 }), 'password'],
        ['BasicAuthUser.fromPassword', () => BasicAuthUser.fromPassword(user, [secret] as any, { cost: 4 }), 'password'],
        ['BasicAuthUser.fromPassword', () => BasicAuthUser.fromPassword(user, secret.padEnd(80, 'x'), { cost: 4 }), 'password'],
        ['BasicAuthUser.fromPassword', () => BasicAuthUser.fromPassword(user, secret, { cost: 3 }), 'options.cost'],
        ['BasicAuthUser.fromPassword', () => BasicAuthUser.fromPassword(user, secret, { cost: 4, bogus: 1 } as any), 'options.bogus'],
        ['BasicAuthUser.fromHash', () => BasicAuthUser.fromHash(user, secret), 'hash'],
        ['BasicAuthUser.fromHash', () => BasicAuthUser.fromHash(`alice:${secret}`, secret), 'username'],
        ['BasicAuthUser.fromHash', () => BasicAuthUser.fromHash(user, { secret } as any), 'hash'],
      ];
      const [name, call, prop] = cases[pick % cases.length];
      check(name, call, prop, secret);
    }), { seed: 20251291, numRuns: 1000 });
  }, TIMEOUT);

  test('BasicAuthUser.fromPassword: a bad options.salt is not shown either', () => {
    fc.assert(fc.property(secretArb, fc.constantFrom(...USERNAMES), (secret, user) => {
      check('BasicAuthUser.fromPassword', () => BasicAuthUser.fromPassword(user, 'password', { cost: 4, salt: secret }), 'options.salt', secret);
    }), { seed: 20251292, numRuns: 50 });
  }, TIMEOUT);

  test('JwksSource.fromUri: a URL with user:password', () => {
    fc.assert(fc.property(secretArb, fc.constantFrom('https', 'http', 'ftp'), fc.constantFrom('jwks-reader', 'a', 'user.name'), (secret, scheme, user) => {
      check('JwksSource.fromUri', () => JwksSource.fromUri(`${scheme}://${user}:${secret}@issuer.example.com/jwks`), 'uri', secret);
      check('JwksSource.fromUri', () => JwksSource.fromUri(`https://${secret}@issuer.example.com/jwks`), 'uri', secret);
    }), { seed: 20251294, numRuns: 300 });
  }, TIMEOUT);

  test('JsonWebKeySet: private keys in PEM or JWKS, unparsable documents', () => {
    fc.assert(fc.property(secretArb, fc.nat(), (secret, pick) => {
      const key = JWKS_KEYS[pick % JWKS_KEYS.length];
      const cases: [string, () => unknown, string][] = [
        ['JsonWebKeySet.fromPublicKeyPem', () => JsonWebKeySet.fromPublicKeyPem(fakePrivateKey(secret)), 'pem'],
        ['JsonWebKeySet.fromPublicKeyPem', () => JsonWebKeySet.fromPublicKeyPem(`${secret}\n${PUBLIC_KEY_PEMS.RSA}`.replace('-----BEGIN PUBLIC', '-----BEGIN RSA PRIVATE')), 'pem'],
        ['JsonWebKeySet.fromPublicKeyPem', () => JsonWebKeySet.fromPublicKeyPem(secret), 'pem'],
        ['JsonWebKeySet.fromJson', () => JsonWebKeySet.fromJson(JSON.stringify({ keys: [{ ...key, d: secret }] })), 'keys[0].d'],
        ['JsonWebKeySet.fromJson', () => JsonWebKeySet.fromJson(JSON.stringify({ keys: [{ kty: 'oct', k: secret }] })), 'keys[0].k'],
        ['JsonWebKeySet.fromJson', () => JsonWebKeySet.fromJson(`{"keys": [${secret}]}`), 'json'],
        ['JsonWebKeySet.fromJson', () => JsonWebKeySet.fromJson(JSON.stringify({ keys: [{ ...key, p: secret, q: secret }] })), 'keys[0]'],
        ['JsonWebKeySet.fromJson', () => JsonWebKeySet.fromJson(JSON.stringify({ keys: [{ ...key, kty: 'oct', k: secret }] })), 'keys[0].k'],
        ['JsonWebKeySet.fromJson', () => JsonWebKeySet.fromJson(JSON.stringify({ keys: [{ ...key, kid: `x ${secret}`, d: secret }] })), 'keys[0].d'],
      ];
      const [name, call, prop] = cases[pick % cases.length];
      check(name, call, prop, secret);
    }), { seed: 20251293, numRuns: 1000 });
  }, TIMEOUT);
});

describe('negative controls: the factory checks can fail', () => {
  const caught = (fn: () => void): string => {
    try {
      fn();
    } catch (e) {
      let message = '';
      for (let x: any = e; x instanceof Error; x = x.cause) {
        message += `${x.message}\n`;
      }
      return message;
    }
    return 'no failure';
  };

  test('the error check flags a crash, another argument, a missing form, acceptance and a shown secret', () => {
    expect(caught(() => expectRefused(() => (undefined as any).length, 'Backend.fromName', 'port'))).toMatch(/threw a TypeError/);
    expect(caught(() => expectRefused(() => Backend.fromName('svc', 0), 'Backend.fromName', 'serviceName'))).toMatch(/message names "port", not "serviceName"/);
    expect(caught(() => expectRefused(() => {
      throw new Error('Backend.fromName: port 0 is bad');
    }, 'Backend.fromName', 'port'))).toMatch(/no ": invalid "/);
    expect(caught(() => expectRefused(() => Backend.fromName('svc', 80), 'Backend.fromName', 'port'))).toMatch(/^accepted/);
    expect(caught(() => expectRefusedWithoutSecret(() => {
      throw new Error('BasicAuthUser.fromPassword: invalid password "S3cr3t-abc": expected a password');
    }, 'BasicAuthUser.fromPassword', 'password', 'S3cr3t-abc'))).toMatch(/shows the secret/);
  });

  test('the properties flag results that differ between two apps, and an accepted invalid argument', () => {
    let n = 0;
    const f: FactoryCase = { name: 'JwtAlgorithm.of', valid: fc.constant(['RS256']), render: (a: JwtAlgorithm) => `${a.name}${n++}` };
    expect(caught(() => checkValidArgs(f, { seed: 1, numRuns: 3, endOnFailure: true }))).toMatch(/different results: RS2560 vs RS2561/);
    expect(caught(() => checkInvalidArgs(f, f.valid, () => [mutation('name', 'ES256')], { seed: 1, numRuns: 3, endOnFailure: true })))
      .toMatch(/accepted \(expected the standard error for name\)/);
  });
});

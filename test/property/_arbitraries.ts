/**
 * Arbitraries of valid values, from the ranges the API documents: DNS names, host names of two
 * or more labels with a non-numeric top-level domain, Kubernetes labels, durations, JWT issuers,
 * backends (`Backend.fromName`, and `Backend.fromService` over a cdk8s-plus Service that selects
 * pods), TLS settings and basic-auth users.
 */
import { createHash } from 'crypto';
import { Duration } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import * as fc from 'fast-check';
import { Make, props, setForeignInstances, shared } from './_support';
import {
  Backend, BasicAuthUser, ExternalAuthorizationProtocol, GatewayApiGateway, IstioGateway, JsonWebKeySet, JwksSource, JwtAlgorithm, JwtAudiences,
  NlbAlpnPolicy, NlbScheme, TlsCertificate, TlsTermination,
} from '../../src';
import { FIXED_PUBLIC_KEY_PEM } from '../fixtures/public-key';

// ---------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------

/** A short RFC 1123 label. */
export const shortLabel = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?$/);

/** An RFC 1123 label, now and then a long one (up to 63 characters). */
export const dnsLabel = fc.oneof(
  { weight: 9, arbitrary: shortLabel },
  { weight: 1, arbitrary: fc.stringMatching(/^[a-z0-9][a-z0-9-]{40,61}[a-z0-9]$/) },
);

/** An RFC 1035 label (starts with a letter). */
export const dns1035Label = fc.oneof(
  { weight: 9, arbitrary: fc.stringMatching(/^[a-z]([a-z0-9-]{0,8}[a-z0-9])?$/) },
  { weight: 1, arbitrary: fc.stringMatching(/^[a-z][a-z0-9-]{40,61}[a-z0-9]$/) },
);

/** An RFC 1123 subdomain of one to three labels. */
export const dnsSubdomain = fc.array(shortLabel, { minLength: 1, maxLength: 3 }).map(ls => ls.join('.'));

/** A top-level domain: letters and digits, at least one letter, not a hexadecimal number (`0x1f`: URL reads it as IPv4). */
const tld = fc.stringMatching(/^[a-z0-9]{0,2}[a-z][a-z0-9]{0,4}$/).filter(t => !/^0x[0-9a-f]*$/.test(t));

/** A lowercase host name of two to four labels whose last label is not all digits. */
export const hostname = fc.tuple(fc.array(shortLabel, { minLength: 1, maxLength: 3 }), tld).map(([ls, t]) => [...ls, t].join('.'));

/** `*.` and a host name. */
export const wildcardHost = hostname.map(h => `*.${h}`);

/** Unique host names (with wildcards when allowed), usually 1 to 3, now and then up to `max`. */
export function hostList(wildcard: boolean, max = 3): fc.Arbitrary<string[]> {
  const one = wildcard ? fc.oneof({ weight: 3, arbitrary: hostname }, { weight: 1, arbitrary: wildcardHost }) : hostname;
  return fc.oneof(
    { weight: 9, arbitrary: fc.uniqueArray(one, { minLength: 1, maxLength: 3 }) },
    { weight: 1, arbitrary: fc.uniqueArray(one, { minLength: 1, maxLength: max, size: 'max' }) },
  );
}

/** A Kubernetes label key (optionally prefixed) and value. */
export const labelKey = fc.tuple(fc.option(dnsSubdomain, { nil: undefined }), fc.stringMatching(/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,10}[A-Za-z0-9])?$/))
  .map(([prefix, name]) => (prefix === undefined ? name : `${prefix}/${name}`));
export const labelValue = fc.stringMatching(/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,10}[A-Za-z0-9])?)?$/);

/** One to three labels. */
export const labels = fc.dictionary(labelKey, labelValue, { minKeys: 1, maxKeys: 3 });

/** A port number. */
export const port = fc.integer({ min: 1, max: 65535 });

// ---------------------------------------------------------------------------------------------
// Durations
// ---------------------------------------------------------------------------------------------

/** A positive duration in whole seconds. */
export const wholeSeconds = fc.oneof(
  fc.integer({ min: 1, max: 86400 }).map(n => Duration.seconds(n)),
  fc.integer({ min: 1, max: 600 }).map(n => Duration.minutes(n)),
);

/** A positive duration in whole milliseconds. */
export const millis = fc.oneof(fc.integer({ min: 1, max: 10_000_000 }).map(n => Duration.millis(n)), wholeSeconds);

// ---------------------------------------------------------------------------------------------
// Strings
// ---------------------------------------------------------------------------------------------

const PRINTABLE = [...Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)), 'é', 'ü', 'ß', '日', '本', 'Ω'];
/** Printable text without spaces (ASCII and a few other letters). */
export const word = (max = 30) => fc.string({ unit: fc.constantFrom(...PRINTABLE), minLength: 1, maxLength: max });
/** Printable text that may have inner spaces, not blank. */
export const text = (max = 30) => fc.string({ unit: fc.constantFrom(...PRINTABLE, ' '), minLength: 1, maxLength: max })
  .filter(s => s.trim().length > 0);

/** An uppercase HTTP method token. */
export const method = fc.oneof(
  fc.constantFrom('CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE'),
  fc.stringMatching(/^[A-Z]{1,8}$/),
);

// ---------------------------------------------------------------------------------------------
// JWT
// ---------------------------------------------------------------------------------------------

const LOCAL = /(^|\.)(localhost|metadata|instance-data)$|^metadata\.goog(le\.internal)?$/;
const urlPath = fc.stringMatching(/^(\/[A-Za-z0-9._~-]{1,10}){0,3}$/);

/** An https URL of a host that is not loopback or a metadata service. */
export const httpsUrl = fc.tuple(hostname.filter(h => !LOCAL.test(h)), fc.option(port, { nil: undefined }), urlPath)
  .map(([h, p, path]) => `https://${h}${p === undefined ? '' : `:${p}`}${path}`);

/** An issuer: an https URL or a name. */
export const issuer = fc.oneof(httpsUrl, word(40));

const RSA_PUBLIC_KEY_PEM = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA7Ievdpd3UtoE+lteuCup
zKvODrXovb+r/1QhiZ2vUaXCcdBEqBuVA32WydyZqaSxUx/jEs5lGKb5NCuA2YxH
bYhAHnkXjVurVS19QDHO7qpKQ4H/IsYDrYt3rNW6g5ZSpOpOPOLnnMZIkzvBBsjt
IRwVJNIoHO2lFneCjlhkfI5dBp9ZtVHOsE3GrBZTa2/vERzolOUfBz9cU8jmCzFW
HipjeSguECJXl+3oq30eDRPQHEPWocwiiWiRmWHfnFh9a3V2LB5Mrf1uZInk0QyD
6YzDeGJTt2UFhNvcU29vJHYTL16DLs81ihs1ExbQEkMhQ7WmpoCfl52DsaBUQHk/
gQIDAQAB
-----END PUBLIC KEY-----`;
const ED25519_PUBLIC_KEY_PEM = `-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAgDleXrUurGry0zgE/Pet9LuZmePuZPJovG8BveQvNv4=
-----END PUBLIC KEY-----`;
export const PUBLIC_KEY_PEMS: { [name: string]: string } = { 'P-256': FIXED_PUBLIC_KEY_PEM, 'RSA': RSA_PUBLIC_KEY_PEM, 'Ed25519': ED25519_PUBLIC_KEY_PEM };

function keySet(): JsonWebKeySet {
  const set = JsonWebKeySet.fromPublicKeyPem(RSA_PUBLIC_KEY_PEM, { kid: 'rsa-1', algorithm: JwtAlgorithm.PS256 });
  set.addPublicKeyPem(FIXED_PUBLIC_KEY_PEM, { kid: 'ec-1' });
  set.addPublicKeyPem(ED25519_PUBLIC_KEY_PEM);
  return set;
}

/** A few fixed key sets (shared by every app). */
export const jwks = fc.constantFrom(
  shared('JsonWebKeySet.fromPublicKeyPem(P-256)', JsonWebKeySet.fromPublicKeyPem(FIXED_PUBLIC_KEY_PEM)),
  shared('JsonWebKeySet.fromPublicKeyPem(RSA, RS512)', JsonWebKeySet.fromPublicKeyPem(RSA_PUBLIC_KEY_PEM, { algorithm: JwtAlgorithm.RS512 })),
  shared('JsonWebKeySet(rsa-1, ec-1, Ed25519)', keySet()),
);

/** Audiences, or any audience. */
const audienceChoice = fc.oneof(
  fc.array(text(20), { minLength: 1, maxLength: 4 }).map(a => shared(`JwtAudiences.of(${JSON.stringify(a)})`, JwtAudiences.of(a))),
  fc.constant(shared('JwtAudiences.acceptAny()', JwtAudiences.acceptAny())),
);

/** A JWKS source: a URL or inlined keys. */
export const jwksSource = fc.oneof(
  httpsUrl.map(u => shared(`JwksSource.fromUri(${JSON.stringify(u)})`, JwksSource.fromUri(u))),
  jwks.map(j => new Make(`JwksSource.fromKeySet(${j.label})`, (chart, tag) => JwksSource.fromKeySet(j.build(chart, tag)))),
);

/** A JwtIssuer: the issuer, one key source and the audiences; `more` adds the construct's own options. */
export function jwtOptions(more: { [k: string]: fc.Arbitrary<unknown> } = {}): fc.Arbitrary<any> {
  return fc.record({ issuer, jwks: jwksSource, audiences: audienceChoice, more: props({}, more) })
    .map(r => ({ issuer: r.issuer, jwks: r.jwks, audiences: r.audiences, ...r.more }));
}

/** A JwtIssuer as every construct takes it. */
export const istioJwt = jwtOptions({ forwardToken: fc.boolean() });

// ---------------------------------------------------------------------------------------------
// Backends
// ---------------------------------------------------------------------------------------------

/** A gRPC port name (`grpc`, `grpc-<suffix>`). */
export const grpcPortName = fc.oneof(fc.constant('grpc'), fc.stringMatching(/^[a-z0-9]{1,10}$/).map(s => `grpc-${s}`));

/** A Service port name (IANA_SVC_NAME): at most 15 characters, at least one letter, no "--". */
export const portName = fc.stringMatching(/^[a-z0-9]{0,6}[a-z](-?[a-z0-9]{1,3}){0,2}$/);

/** `Backend.fromName` options whose port is gRPC (or unknown). */
export const grpcNameOptions = fc.oneof(
  props({}, { namespace: dnsLabel }),
  props({ portName: grpcPortName }, { namespace: dnsLabel }),
  props({ appProtocol: fc.constantFrom('grpc', 'GRPC', 'gRPC') }, { portName, namespace: dnsLabel }),
);

/** Any `Backend.fromName` options. */
export const anyNameOptions = props({}, { namespace: dnsLabel, portName, appProtocol: text(20) });

/** `Backend.fromName(...)` with these options. */
export function backendFromName(options: fc.Arbitrary<any>): fc.Arbitrary<Make<Backend>> {
  return fc.tuple(dns1035Label, port, options).map(([name, p, o]) =>
    new Make(`Backend.fromName(${JSON.stringify(name)}, ${p}, ${JSON.stringify(o)})`, () => Backend.fromName(name, p, o)));
}

/**
 * `Backend.fromService` over a cdk8s-plus Service that selects pods, with one to three ports;
 * the chosen port's name from `portName`.
 */
export function backendFromService(chosenPortName: fc.Arbitrary<string>): fc.Arbitrary<Make<Backend>> {
  const servicePort = fc.record({ port, targetPort: fc.option(port, { nil: undefined }) });
  return fc.record({
    // cdk8s-plus drops selector labels with empty values
    selector: fc.dictionary(labelKey, labelValue.filter(v => v !== ''), { minKeys: 1, maxKeys: 3 }),
    ports: fc.uniqueArray(servicePort, { minLength: 1, maxLength: 3, selector: p => p.port }),
    chosen: fc.nat(),
    name: chosenPortName,
  }).map(({ selector, ports, chosen, name }) => {
    const at = chosen % ports.length;
    const list = ports.map((p, i) => ({ port: p.port, targetPort: p.targetPort, name: i === at ? name : `port${i}` }));
    const options = ports.length > 1 ? { port: list[at].port } : {};
    return new Make(`Backend.fromService(Service ${JSON.stringify({ selector, ports: list })}, ${JSON.stringify(options)})`, (chart, tag) => {
      const pods = kplus.Pods.select(chart, `pods-${tag}`, { labels: selector });
      const service = new kplus.Service(chart, `svc-${tag}`, { selector: pods, ports: list });
      return Backend.fromService(service, options);
    });
  });
}

/** A Backend whose port is gRPC (or unknown). */
export const grpcBackend = fc.oneof(
  { weight: 3, arbitrary: backendFromName(grpcNameOptions) },
  { weight: 1, arbitrary: backendFromService(grpcPortName) },
);

/** A Backend with a port of any name, in the chart's namespace when it says. */
export function anyBackend(namespaces: fc.Arbitrary<string>): fc.Arbitrary<Make<Backend>> {
  const options = props({}, { namespace: namespaces, portName, appProtocol: text(20) });
  return fc.oneof({ weight: 3, arbitrary: backendFromName(options) }, { weight: 1, arbitrary: backendFromService(portName) });
}

// ---------------------------------------------------------------------------------------------
// TLS and users
// ---------------------------------------------------------------------------------------------

/** A certificate in a Secret, or from cert-manager. */
export const secretCertificate = fc.oneof(
  dnsSubdomain.map(n => shared(`TlsCertificate.fromSecret(${JSON.stringify(n)})`, TlsCertificate.fromSecret(n))),
  dnsSubdomain.map(n => shared(`TlsCertificate.fromCertManager({ issuerName: ${JSON.stringify(n)} })`, TlsCertificate.fromCertManager({ issuerName: n }))),
);

const atProxy = (c: Make<TlsCertificate>) => new Make(`TlsTermination.atProxy(${c.label})`, (chart, tag) => TlsTermination.atProxy(c.build(chart, tag)));

/** TLS for an Istio Gateway: at the load balancer, at the gateway, or mutual. */
export const istioTls = fc.oneof(
  fc.constant(shared('TlsTermination.atLoadBalancer()', TlsTermination.atLoadBalancer())),
  secretCertificate.map(atProxy),
  secretCertificate.map(c => new Make(`TlsTermination.mutualAtProxy(${c.label})`, (chart, tag) => TlsTermination.mutualAtProxy(c.build(chart, tag)))),
);

/** TLS for a Gateway API Gateway: at the load balancer or at the gateway. */
export const gatewayApiTls = fc.oneof(
  fc.constant(shared('TlsTermination.atLoadBalancer()', TlsTermination.atLoadBalancer())),
  secretCertificate.map(atProxy),
);

/** A certificate resolver name. */
export const resolverName = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,15}$/);

/** TLS for Traefik: at Traefik with a Secret, cert-manager or a resolver, or plain HTTP. */
export const traefikTls = fc.oneof(
  resolverName.map(n => atProxy(shared(`TlsCertificate.fromTraefikCertResolver(${JSON.stringify(n)})`, TlsCertificate.fromTraefikCertResolver(n)))),
  secretCertificate.map(atProxy),
  fc.constant(shared('TlsTermination.insecurePlainHttp()', TlsTermination.insecurePlainHttp())),
);

const BCRYPT64 = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
function fakeChars(seed: string, n: number): string {
  const digest = createHash('sha512').update(seed).digest();
  return Array.from({ length: n }, (_, i) => BCRYPT64[digest[i % digest.length] % 64]).join('');
}

/** User names: plain, with spaces, with other letters. */
const USERNAMES = ['alice', 'bob', 'carol smith', 'dave.o-neil', 'Ærlig', '日本', 'x', 'u'.repeat(256)];

/**
 * Basic-auth users by hash algorithm: bcrypt from `fromPassword` (cost 4, hashed once per
 * process) and from `fromHash`, and `$apr1$` and `{SHA}` hashes made elsewhere.
 */
export const USERS: { [algorithm: string]: Make<BasicAuthUser>[] } = {
  bcrypt: USERNAMES.slice(0, 4).map((u, i) => shared(`BasicAuthUser.fromPassword(${JSON.stringify(u)}, ..., { cost: 4 })`,
    BasicAuthUser.fromPassword(u, `password-${i}`, { cost: 4 })))
    .concat(USERNAMES.slice(4).map(u => shared(`BasicAuthUser.fromHash(${JSON.stringify(u.slice(0, 20))}, "$2y$05$...")`,
      BasicAuthUser.fromHash(u, `$2y$05$${fakeChars(u, 53)}`)))),
  apr1: USERNAMES.map(u => shared(`BasicAuthUser.fromHash(${JSON.stringify(u.slice(0, 20))}, "$apr1$...")`,
    BasicAuthUser.fromHash(u, `$apr1$${fakeChars(`s${u}`, 8)}$${fakeChars(u, 22)}`))),
  sha1: USERNAMES.map(u => shared(`BasicAuthUser.fromHash(${JSON.stringify(u.slice(0, 20))}, "{SHA}...")`,
    BasicAuthUser.fromHash(u, `{SHA}${createHash('sha1').update(u).digest('base64')}`))),
};

/** One to three users of one algorithm, distinct names. */
export const users = fc.constantFrom('bcrypt', 'apr1', 'sha1').chain(alg =>
  fc.uniqueArray(fc.constantFrom(...USERS[alg]), { minLength: 1, maxLength: 3, selector: u => u.label }));

// Wrong values for props of one library class: instances of the others.
setForeignInstances([
  { fqn: 'cdk8s-secure-serving.TlsTermination', value: shared('TlsTermination.atLoadBalancer()', TlsTermination.atLoadBalancer()) },
  { fqn: 'cdk8s-secure-serving.TlsCertificate', value: shared('TlsCertificate.fromSecret("x")', TlsCertificate.fromSecret('x')) },
  { fqn: 'cdk8s-secure-serving.IstioGateway', value: shared('IstioGateway.create(lb)', IstioGateway.create({ tls: TlsTermination.atLoadBalancer() })) },
  {
    fqn: 'cdk8s-secure-serving.GatewayApiGateway',
    value: shared('GatewayApiGateway.create(lb)', GatewayApiGateway.create({ tls: TlsTermination.atLoadBalancer() })),
  },
  { fqn: 'cdk8s-secure-serving.JwksSource', value: shared('JwksSource.fromUri(x)', JwksSource.fromUri('https://x.example.com/j')) },
  { fqn: 'cdk8s-secure-serving.JwtAudiences', value: shared('JwtAudiences.acceptAny()', JwtAudiences.acceptAny()) },
  { fqn: 'cdk8s-secure-serving.JwtAlgorithm', value: shared('JwtAlgorithm.RS256', JwtAlgorithm.RS256) },
  { fqn: 'cdk8s-secure-serving.Backend', value: shared('Backend.fromName("svc", 8500)', Backend.fromName('svc', 8500)) },
]);

// ---------------------------------------------------------------------------------------------
// AWS NLB
// ---------------------------------------------------------------------------------------------

const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));
/** An ACM certificate ARN. */
export const certificateArn = fc.record({
  partition: fc.constantFrom('aws', 'aws-cn', 'aws-us-gov'),
  region: fc.constantFrom('us-east-1', 'eu-west-3', 'ap-southeast-2', 'us-gov-west-1', 'cn-north-1'),
  account: fc.stringMatching(/^\d{12}$/),
  uuid: fc.tuple(hex(8), hex(4), hex(4), hex(4), hex(12)).map(p => p.join('-')),
}).map(a => `arn:${a.partition}:acm:${a.region}:${a.account}:certificate/${a.uuid}`);

/** Valid `AwsNlbTls.annotations` options. */
export const awsNlbTlsOptions = fc.oneof(
  props({ certificateArns: fc.uniqueArray(certificateArn, { minLength: 1, maxLength: 3 }) }, {
    alpnPolicy: fc.constantFrom(NlbAlpnPolicy.HTTP2_PREFERRED, NlbAlpnPolicy.HTTP2_ONLY, NlbAlpnPolicy.HTTP2_OPTIONAL),
    grpc: fc.constant(true),
    scheme: fc.constantFrom(NlbScheme.INTERNAL, NlbScheme.INTERNET_FACING),
    sslPorts: fc.uniqueArray(fc.oneof(port.map(String), fc.stringMatching(/^[a-z]([a-z0-9]|-[a-z0-9]){0,7}$/)), { minLength: 1, maxLength: 3 }),
    sslNegotiationPolicy: fc.constantFrom('ELBSecurityPolicy-TLS13-1-2-2021-06', 'ELBSecurityPolicy-TLS13-1-3-2021-06',
      'ELBSecurityPolicy-TLS-1-2-2017-01', 'ELBSecurityPolicy-TLS-1-2-Ext-2018-06', 'ELBSecurityPolicy-FS-1-2-Res-2020-10'),
  }),
  props({ certificateArns: fc.uniqueArray(certificateArn, { minLength: 1, maxLength: 2 }), grpc: fc.constant(false) }, {
    alpnPolicy: fc.constantFrom(...Object.values(NlbAlpnPolicy)),
  }),
);

// ---------------------------------------------------------------------------------------------
// External authorization
// ---------------------------------------------------------------------------------------------

/** A lowercase HTTP header name (token characters). */
export const headerName = fc.stringMatching(/^[a-z0-9!#$%&'*+.^_`|~-]{1,20}$/);
const headerNames = fc.array(headerName, { minLength: 1, maxLength: 4 });

/**
 * An external authorization provider: an HTTP one (with header lists) or a gRPC one, its
 * Service as a cluster FQDN, fail-open only when acknowledged. `denyHeaders`: with
 * `headersToDownstreamOnDeny` (Envoy Gateway has none).
 */
export function externalAuthorizationProvider(denyHeaders: boolean,
  statusOnError: fc.Arbitrary<number> = fc.integer({ min: 400, max: 599 })): fc.Arbitrary<any> {
  return fc.tuple(
    props({
      name: fc.stringMatching(/^[A-Za-z0-9]([-A-Za-z0-9_.]{0,15}[A-Za-z0-9])?$/),
      service: fc.tuple(shortLabel, shortLabel, fc.constantFrom('', '.cluster.local', '.corp')).map(([s, ns, suffix]) => `${s}.${ns}.svc${suffix}`),
      port,
    }, { timeout: millis, statusOnError }),
    fc.oneof(
      props({}, {
        protocol: fc.constant(ExternalAuthorizationProtocol.HTTP),
        includeRequestHeadersInCheck: headerNames,
        headersToUpstreamOnAllow: headerNames,
        ...(denyHeaders ? { headersToDownstreamOnDeny: headerNames } : {}),
      }),
      fc.constant({ protocol: ExternalAuthorizationProtocol.GRPC }),
    ),
    fc.oneof(props({}, { failOpen: fc.constant(false) }), fc.constant({ failOpen: true, acknowledgeFailOpen: true })),
  ).map(([a, b, c]) => ({ ...a, ...b, ...c }));
}

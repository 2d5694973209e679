// Every class of wrong value a plain-JavaScript (or jsii) caller can pass: each is refused in
// the standard form (context, prop, value, what is expected), never by a crash from inside,
// and no message holds a secret or an internal field.
import { generateKeyPairSync } from 'crypto';
import * as path from 'path';
import { App, Chart, Duration, Size, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import {
  AwsNlbTls, Backend, BasicAuthUser, EnvoyJwtProxy, GatewayApiGateway, GatewayApiGrpcIngress, GatewayApiHttpIngress, GatewayImplementation,
  IstioExternalAuthorization, IstioGateway, IstioGrpcIngress, JsonWebKeySet, JwksSource, JwtAudiences, JwtIssuer, KServeDeploymentMode,
  KServeLocalGateway, MeshIsolatedInferenceService, MeshWideStrictMtls, TlsCertificate, TlsTermination, TraefikBasicAuthIngress, TraefikCipherSuites,
} from '../src';
import { FIXED_PUBLIC_KEY_PEM } from './fixtures/public-key';
import { runInFreshProcess, SECOND_LOCALE } from './util';

const ARN = 'arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
const GRPC = Backend.fromName('api', 8500, { portName: 'grpc' });
const JWKS_URI = 'https://issuer.example.com/jwks';
const JWT: JwtIssuer = { issuer: 'https://issuer.example.com', jwks: JwksSource.fromUri(JWKS_URI), audiences: JwtAudiences.of(['api']) };
const USER = BasicAuthUser.fromPassword('user1', 'password1', { cost: 4 });
const SECRET = 'S3cr3t-Pa55w0rd!';

/** A fresh chart with a namespace (or none, with null). */
function chart(namespace: string | null = 'ml', app: App = Testing.app()): Chart {
  return new Chart(app, `c${app.node.children.length}`, { namespace: namespace ?? undefined });
}

/** The standard form: context, ": invalid ", the prop, the value, ": expected ". */
function expectRefused(fn: () => unknown, context: string, prop: string): Error {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(Error);
  const e = error as Error;
  expect(e.constructor).toBe(Error);
  expect(e.message.startsWith(context)).toBe(true);
  expect(e.message).toContain(`: invalid ${prop} `);
  expect(e.message).toContain(': expected ');
  return e;
}

const istio = (c: Chart, props: any, id = 'api') => new IstioGrpcIngress(c, id, props);
const ISTIO_TLS = TlsTermination.atProxy(TlsCertificate.fromSecret('api-cert'));
const ISTIO = { hosts: ['api.example.com'], backend: GRPC, gateway: IstioGateway.create({ tls: ISTIO_TLS }), jwt: JWT, acknowledgeGatewayWideJwt: true };
const ENVOY = {
  backend: GRPC,
  tls: TlsTermination.atProxy(TlsCertificate.fromSecret('proxy-tls')),
  jwt: { issuer: JWT.issuer, jwks: JwksSource.fromKeySet(JsonWebKeySet.fromPublicKeyPem(FIXED_PUBLIC_KEY_PEM)), audiences: JwtAudiences.of(['api']) },
};
const TRAEFIK = { hosts: ['api.example.com'], backend: Backend.fromName('api', 8000), users: [USER], tls: TlsTermination.atProxy(TlsCertificate.fromTraefikCertResolver('le')) };
const KSERVE = { modelFormat: 'sklearn', storageUri: 'gs://bucket/model' };

describe('shapes: null, missing and wrongly typed props', () => {
  test.each([
    ['fails a missing props object', undefined, 'props'],
    ['fails null props', null, 'props'],
    ['fails a list as props', [], 'props'],
    ['fails null for an optional prop object that is then read', { ...ISTIO, retries: null, timeout: 'x' }, 'timeout'],
    ['fails a list given as one string', { ...ISTIO, hosts: 'api.example.com' }, 'hosts'],
    ['fails the string "false" for a boolean', { ...ISTIO, allowUnauthenticated: 'false' }, 'allowUnauthenticated'],
    ['fails a string for a number', { ...ISTIO, retries: { attempts: '3' } }, 'retries.attempts'],
    ['fails NaN for a number', { ...ISTIO, retries: { attempts: NaN } }, 'retries.attempts'],
    ['fails a string for a Duration', { ...ISTIO, timeout: '30s' }, 'timeout'],
    ['fails a plain object for an enum-like class', { ...ISTIO, gateway: { tls: ISTIO_TLS } }, 'gateway'],
    ['fails an unknown prop (a typo) by name', { ...ISTIO, allowUnauthenticted: true }, 'allowUnauthenticted'],
    ['fails a wrong type two levels down', { ...ISTIO, jwt: { ...JWT, audiences: [1] } }, 'jwt.audiences'],
  ])('%s', (_name, props, prop) => {
    expectRefused(() => istio(chart(), props), 'IstioGrpcIngress ', prop);
  });

  test.each([
    ['fails the string "false" for a boolean in a factory', () => IstioGateway.create({ tls: ISTIO_TLS, httpsRedirect: 'false' as any }), 'IstioGateway.create', 'options.httpsRedirect'],
    ['fails a plain object for an enum-like class in a factory', () => IstioGateway.create({ tls: { credentialName: 'x' } as any }), 'IstioGateway.create', 'options.tls'],
    ['fails a wrong type in a list of a factory', () => JwtAudiences.of([1] as any), 'JwtAudiences.of', 'audiences[0]'],
  ])('%s', (_name, fn, context, prop) => {
    expectRefused(fn, context, prop);
  });

  test('fails an object made with Object.create(Class.prototype) instead of the factories', () => {
    expectRefused(() => istio(chart(), { ...ISTIO, gateway: Object.create(IstioGateway.prototype) }), 'IstioGrpcIngress ', 'gateway');
    expectRefused(() => istio(chart(), { ...ISTIO, gateway: IstioGateway.create({ tls: Object.create(TlsTermination.prototype) }) }), 'IstioGateway.create', 'options.tls');
    expectRefused(() => istio(chart(), { ...ISTIO, backend: Object.create(Backend.prototype) }), 'IstioGrpcIngress ', 'backend');
    expectRefused(() => new TraefikBasicAuthIngress(chart(), 't', { ...TRAEFIK, tls: Object.create(TlsTermination.prototype) }), 'TraefikBasicAuthIngress ', 'tls');
  });

  test('null for an optional prop counts as unset, as in jsii', () => {
    const c = chart();
    istio(c, { ...ISTIO, retries: null, timeout: null, gateway: IstioGateway.create({ tls: ISTIO_TLS, pods: null as any }) });
    expect(Testing.synth(c).length).toBeGreaterThan(0);
  });

  test('fails "true" for failOpen, which must not skip the acknowledgeFailOpen check', () => {
    expectRefused(() => new IstioExternalAuthorization(chart(), 'x', {
      provider: { name: 'authz', service: 'authz.auth.svc.cluster.local', port: 9000, failOpen: 'true' as any },
    }), 'IstioExternalAuthorization ', 'provider.failOpen');
  });

  test('fails a string where a boolean is written to output', () => {
    expectRefused(() => new EnvoyJwtProxy(chart(), 'p', { ...ENVOY, jwt: { ...ENVOY.jwt, forwardToken: 'yes' as any } }), 'EnvoyJwtProxy ', 'jwt.forwardToken');
    expectRefused(() => new TraefikBasicAuthIngress(chart(), 't', { ...TRAEFIK, tlsOptions: { sniStrict: 'true' as any } }),
      'TraefikBasicAuthIngress ', 'tlsOptions.sniStrict');
    expectRefused(() => new TraefikBasicAuthIngress(chart(), 't', { ...TRAEFIK, removeHeader: 1 as any }), 'TraefikBasicAuthIngress ', 'removeHeader');
  });

  test('fails resources that are not an object, and a list given as one string', () => {
    expectRefused(() => new MeshIsolatedInferenceService(chart(), 'iris', { ...KSERVE, resources: 'big' as any }),
      'MeshIsolatedInferenceService ', 'resources');
    expectRefused(() => new MeshIsolatedInferenceService(chart(), 'iris', { ...KSERVE, allowedNamespaces: 'ns1' as any }),
      'MeshIsolatedInferenceService ', 'allowedNamespaces');
    expectRefused(() => new EnvoyJwtProxy(chart(), 'p', { ...ENVOY, cors: { allowOrigins: ['https://a.example.com'], allowMethods: 'GET' as any } }),
      'EnvoyJwtProxy ', 'cors.allowMethods');
  });

  test.each([
    ['fails Backend.fromName with null options made of wrong types', () => Backend.fromName('svc', 80, { namespace: 5 as any }), 'Backend.fromName', 'options.namespace'],
    ['fails Backend.fromName with a string port', () => Backend.fromName('svc', '80' as any), 'Backend.fromName', 'port'],
    ['fails Backend.fromService(undefined)', () => Backend.fromService(undefined as any), 'Backend.fromService', 'service'],
    ['fails Backend.fromService with a plain object', () => Backend.fromService({} as any), 'Backend.fromService', 'service'],
    ['fails a number as password, without calling it empty', () => BasicAuthUser.fromPassword('alice', 12345 as any), 'BasicAuthUser.fromPassword', 'password'],
    ['fails JwtAlgorithm.of(null)', () => JwtAlgorithm_of(null), 'JwtAlgorithm.of', 'name'],
    ['fails AwsNlbTls.annotations() without options', () => AwsNlbTls.annotations(undefined as any), 'AwsNlbTls.annotations', 'options'],
    ['fails KServeLocalGateway.ingressConfig with an object', () => new KServeLocalGateway(chart(), 'g').ingressConfig({} as any), 'KServeLocalGateway.ingressConfig', 'current'],
  ])('%s', (_name, fn, context, prop) => {
    expectRefused(fn, context, prop);
  });

  test('fails a DSA key with a clear message, not Node\'s', () => {
    const { publicKey } = generateKeyPairSync('dsa', { modulusLength: 2048, divisorLength: 256 });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const e = expectRefused(() => JsonWebKeySet.fromPublicKeyPem(pem), 'JsonWebKeySet.fromPublicKeyPem', 'pem');
    expect(e.message).toContain('an RSA, EC (P-256, P-384, P-521) or Ed25519 public key');
  });
});

// eslint-disable-next-line @typescript-eslint/naming-convention
function JwtAlgorithm_of(name: any) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('../src').JwtAlgorithm.of(name);
}

describe('durations written in seconds', () => {
  test.each([
    ['jwksCacheDuration', { jwksCacheDuration: Duration.millis(1500) }],
    ['timeout', { timeout: Duration.millis(1500) }],
    ['cors.maxAge', { cors: { allowOrigins: ['https://a.example.com'], maxAge: Duration.millis(1500) } }],
  ])('fails %s of 1500 ms, named by construct and prop (not by cdk8s)', (prop, extra) => {
    const e = expectRefused(() => new EnvoyJwtProxy(chart(), 'p', { ...ENVOY, ...extra } as any), 'EnvoyJwtProxy ', prop);
    expect(e.message).toContain('whole seconds');
  });
});

describe('accepted though wrong', () => {
  test('fails a CPU or memory request above its limit', () => {
    expectRefused(() => new MeshIsolatedInferenceService(chart(), 'iris', { ...KSERVE, resources: { cpuRequest: '2', cpuLimit: '500m' } }),
      'MeshIsolatedInferenceService ', 'resources.cpuRequest');
    expectRefused(() => new MeshIsolatedInferenceService(chart(), 'iris', { ...KSERVE, resources: { memoryRequest: '2Gi', memoryLimit: '1000Mi' } }),
      'MeshIsolatedInferenceService ', 'resources.memoryRequest');
    expectRefused(() => new EnvoyJwtProxy(chart(), 'p', {
      ...ENVOY, resources: { cpu: { request: kplus.Cpu.units(2), limit: kplus.Cpu.millis(500) } },
    }), 'EnvoyJwtProxy ', 'resources.cpu.request');
  });

  test('a request equal to its limit is fine (1Gi = 1024Mi)', () => {
    const c = chart();
    new MeshIsolatedInferenceService(c, 'iris', { ...KSERVE, resources: { memoryRequest: '1024Mi', memoryLimit: '1Gi', cpuRequest: '1', cpuLimit: '1000m' } });
    expect(Testing.synth(c).some(d => d.kind === 'InferenceService')).toBe(true);
  });

  test('fails a free-text runtime', () => {
    expectRefused(() => new MeshIsolatedInferenceService(chart(), 'iris', { ...KSERVE, runtime: 'my sklearn runtime' }), 'MeshIsolatedInferenceService ', 'runtime');
  });

  test('fails a name whose KServe host label passes 63 characters, and accepts the longest that fits', () => {
    const ns = 'models-of-the-fraud-detection-team';
    const standard = { ...KSERVE, deploymentMode: KServeDeploymentMode.STANDARD };
    const fits = 'a'.repeat(63 - '-predictor-'.length - ns.length);
    new MeshIsolatedInferenceService(chart(ns), fits, standard);
    const e = expectRefused(() => new MeshIsolatedInferenceService(chart(ns), `${fits}b`, standard), 'MeshIsolatedInferenceService ', 'name');
    expect(e.message).toContain(`at most ${fits.length} characters in namespace`);
  });

  test('fails a name whose first Knative revision name passes 63 characters', () => {
    const fits = 'a'.repeat(63 - '-predictor-00001'.length);
    new MeshIsolatedInferenceService(chart('ml'), fits, KSERVE);
    const e = expectRefused(() => new MeshIsolatedInferenceService(chart('ml'), `${fits}b`, KSERVE), 'MeshIsolatedInferenceService ', 'name');
    expect(e.message).toContain(`at most ${fits.length} characters in Knative mode`);
  });

  test('fails the same InferenceService twice in one namespace, a zero limit, and a CPU or memory amount that is no cdk8s-plus quantity', () => {
    const app = Testing.app();
    new MeshIsolatedInferenceService(chart('ml', app), 'iris', { ...KSERVE, createNamespace: false });
    expectRefused(() => new MeshIsolatedInferenceService(chart('ml', app), 'iris', { ...KSERVE, createNamespace: false }), 'MeshIsolatedInferenceService ', 'name');
    expectRefused(() => new MeshIsolatedInferenceService(chart(), 'iris', { ...KSERVE, resources: { cpuLimit: '0' } }),
      'MeshIsolatedInferenceService ', 'resources.cpuLimit');
    expectRefused(() => new EnvoyJwtProxy(chart(), 'p', { ...ENVOY, resources: { memory: { limit: '512Mi' as any } } }), 'EnvoyJwtProxy ', 'resources.memory.limit');
  });

  test('fails two external authorizers on the same gateway pods, a duplicate ARN, a port name Kubernetes refuses and a JWK not for verifying', () => {
    const app = Testing.app();
    const provider = { name: 'authz', service: 'authz.auth.svc.cluster.local', port: 9000 };
    new IstioExternalAuthorization(chart(null, app), 'a', { provider });
    expectRefused(() => new IstioExternalAuthorization(chart(null, app), 'a', { provider }), 'IstioExternalAuthorization ', 'gatewayPods');
    expectRefused(() => AwsNlbTls.annotations({ certificateArns: [ARN, ARN] }), 'AwsNlbTls.annotations', 'options.certificateArns[1]');
    for (const name of ['grpc-inference-api', '8500', 'grpc--a']) {
      expectRefused(() => Backend.fromName('svc', 80, { portName: name }), 'Backend.fromName', 'options.portName');
    }
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk: any = publicKey.export({ format: 'jwk' });
    expectRefused(() => JsonWebKeySet.fromJson(JSON.stringify({ keys: [{ ...jwk, key_ops: ['encrypt'] }] })), 'JsonWebKeySet.fromJson', 'keys[0].key_ops');
  });

  test.each([
    ['TlsCertificate.fromSecret (TLS at the proxy)', () => TlsTermination.atProxy(TlsCertificate.fromSecret('a.-b')), 'TlsCertificate.fromSecret', 'secretName'],
    ['TlsCertificate.fromSecret (mutual TLS)', () => TlsTermination.mutualAtProxy(TlsCertificate.fromSecret('a..b')), 'TlsCertificate.fromSecret', 'secretName'],
    ['TlsCertificate.fromCertManager', () => TlsCertificate.fromCertManager({ issuerName: 'letsencrypt', secretName: 'a.-b' }), 'TlsCertificate.fromCertManager', 'options.secretName'],
  ])('fails a Secret name that is no DNS subdomain in %s', (_name, fn, context, prop) => {
    expectRefused(fn, context, prop);
  });

  test('fails an ARN whose UUID is all dashes', () => {
    expectRefused(() => AwsNlbTls.annotations({ certificateArns: [`arn:aws:acm:us-east-1:123456789012:certificate/${'-'.repeat(36)}`] }),
      'AwsNlbTls.annotations', 'options.certificateArns[0]');
    expect(AwsNlbTls.annotations({ certificateArns: [ARN] })['service.beta.kubernetes.io/aws-load-balancer-ssl-cert']).toBe(ARN);
  });

  test.each(['10.0.0.1', 'api.example.123', '*.10.0.0'])('fails %s as a host (an IP address or a numeric top-level label)', host => {
    expectRefused(() => istio(chart(), { ...ISTIO, hosts: [host] }), 'IstioGrpcIngress ', 'hosts[0]');
  });

  test('fails a NUL byte or another control character in a username', () => {
    expectRefused(() => BasicAuthUser.fromPassword('al\u0000ice', 'pw'), 'BasicAuthUser.fromPassword', 'username');
    expectRefused(() => BasicAuthUser.fromHash('al\tice', '{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g='), 'BasicAuthUser.fromHash', 'username');
    expectRefused(() => istio(chart(), { ...ISTIO, jwt: undefined, acknowledgeGatewayWideJwt: undefined, basicAuth: { credentials: [{ username: 'a\u0000', password: 'p' }] } }),
      'IstioGrpcIngress ', 'basicAuth.credentials[0].username');
  });

  test('fails an issuer with spaces', () => {
    expectRefused(() => istio(chart(), { ...ISTIO, jwt: { ...JWT, issuer: 'https://issuer.example.com ' } }), 'IstioGrpcIngress ', 'jwt.issuer');
    expectRefused(() => new EnvoyJwtProxy(chart(), 'p', { ...ENVOY, jwt: { ...ENVOY.jwt, issuer: 'my issuer' } }), 'EnvoyJwtProxy ', 'jwt.issuer');
  });

  test('fails an RSA key with exponent 1 (every signature would verify as its own message)', () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk: any = publicKey.export({ format: 'jwk' });
    const e = expectRefused(() => JsonWebKeySet.fromJson(JSON.stringify({ keys: [{ ...jwk, e: 'AQ' }] })), 'JsonWebKeySet.fromJson', 'keys[0].e');
    expect(e.message).toContain('at least 3');
    expect(JsonWebKeySet.fromJson(JSON.stringify({ keys: [jwk] })).keys[0].e).toBe('AQAB');
  });

  test.each([
    'https://localhost/jwks', 'https://api.localhost/jwks', 'https://127.0.0.1/jwks', 'https://2130706433/jwks', 'https://[::1]/jwks',
    'https://[::ffff:127.0.0.1]/jwks', 'https://169.254.169.254/latest/meta-data', 'https://[fe80::1]/jwks', 'https://metadata.google.internal/jwks',
    'https://0.0.0.0/jwks', 'https://[fd00:ec2::254]/jwks',
  ])('fails a jwksUri the proxy would fetch from its own node: %s', uri => {
    expectRefused(() => istio(chart(), { ...ISTIO, jwt: { ...JWT, jwks: JwksSource.fromUri(uri) } }), 'JwksSource.fromUri', 'uri');
    expectRefused(() => new EnvoyJwtProxy(chart(), 'p', { ...ENVOY, jwt: { issuer: JWT.issuer, jwks: JwksSource.fromUri(uri), audiences: JwtAudiences.of(['api']) } }),
      'JwksSource.fromUri', 'uri');
  });

  test('fails a jwksUri with a space around it (URL() would drop it, the proxy would not)', () => {
    expectRefused(() => istio(chart(), { ...ISTIO, jwt: { ...JWT, jwks: JwksSource.fromUri(` ${JWKS_URI}`) } }), 'JwksSource.fromUri', 'uri');
  });

  test('fails an Envoy memory limit too small for Envoy itself', () => {
    expectRefused(() => new EnvoyJwtProxy(chart(), 'p', { ...ENVOY, resources: { memory: { limit: Size.mebibytes(16) } } }), 'EnvoyJwtProxy ', 'resources.memory.limit');
  });

  test('fails a user object not made by the factories, whose "hash" is a plaintext password, without showing it', () => {
    const forged = Object.assign(Object.create(BasicAuthUser.prototype), { username: 'alice', hash: SECRET, algorithm: USER.algorithm });
    const e = expectRefused(() => new TraefikBasicAuthIngress(chart(), 't', { ...TRAEFIK, users: [forged] }), 'TraefikBasicAuthIngress ', 'users[0]');
    expect(e.message).not.toContain(SECRET);
  });

  test('a jwksUri to a cluster Service or a private address is fine', () => {
    for (const uri of ['https://keycloak.auth.svc.cluster.local/realms/ml/protocol/openid-connect/certs', 'https://10.0.0.5/jwks']) {
      istio(chart(), { ...ISTIO, jwt: { ...JWT, jwks: JwksSource.fromUri(uri) } });
    }
  });

  test('fails sslPorts listed twice', () => {
    expectRefused(() => AwsNlbTls.annotations({ certificateArns: [ARN], sslPorts: ['443', '8443', '443'] }), 'AwsNlbTls.annotations', 'options.sslPorts[2]');
  });

  test('fails a second MeshWideStrictMtls in one app (both write PeerAuthentication istio-system/default), in any chart', () => {
    const app = Testing.app();
    new MeshWideStrictMtls(chart(null, app), 'mtls');
    const e = expectRefused(() => new MeshWideStrictMtls(chart(null, app), 'mtls'), 'MeshWideStrictMtls ', 'rootNamespace');
    expect(e.message).toContain('PeerAuthentication istio-system/default');
    new MeshWideStrictMtls(chart(null, app), 'other-mesh', { rootNamespace: 'mesh-root', knativeLocalGateway: false });
  });

  test('fails two local gateways of the same name and namespace', () => {
    const app = Testing.app();
    new KServeLocalGateway(chart(null, app), 'g');
    expectRefused(() => new KServeLocalGateway(chart(null, app), 'g'), 'KServeLocalGateway ', 'name');
  });

  test.each(['kube-system', 'istio-system', 'knative-serving'])('fails %s as the isolated namespace', ns => {
    expectRefused(() => new MeshIsolatedInferenceService(chart(), 'iris', { ...KSERVE, namespace: ns }), 'MeshIsolatedInferenceService ', 'namespace');
  });

  test.each([
    'envoyproxy/envoy:latest', 'envoyproxy/envoy', 'envoyproxy/envoy:distroless-latest', 'envoyproxy/envoy:v1.17.0', 'envoyproxy/envoy:v1.29.4',
    'mirror.example.com/envoyproxy/envoy:contrib-v1.20.1',
  ])('fails the Envoy image %s (unpinned, or too old for the bootstrap)', image => {
    expectRefused(() => new EnvoyJwtProxy(chart(), 'p', { ...ENVOY, image }), 'EnvoyJwtProxy ', 'image');
  });

  test.each(['envoyproxy/envoy:v1.36.2', 'envoyproxy/envoy:distroless-v1.30.0', `envoyproxy/envoy@sha256:${'a'.repeat(64)}`])('accepts the Envoy image %s', image => {
    new EnvoyJwtProxy(chart(), 'p', { ...ENVOY, image });
  });

  test('fails two front doors for one host and path in one app, across charts and kinds', () => {
    const app = Testing.app();
    istio(chart('a', app), ISTIO);
    const e = expectRefused(() => new GatewayApiGrpcIngress(chart('b', app), 'gw', {
      hosts: ['other.example.com', 'api.example.com'],
      backend: GRPC,
      gateway: GatewayApiGateway.create({ tls: TlsTermination.atProxy(TlsCertificate.fromSecret('cert')) }),
      jwt: JWT,
      acknowledgeGatewayWideJwt: true,
    }), 'GatewayApiGrpcIngress ', 'hosts[1]');
    expect(e.message).toContain('c0/api does');
    expectRefused(() => new TraefikBasicAuthIngress(chart('c', app), 't', TRAEFIK), 'TraefikBasicAuthIngress ', 'hosts[0]');
    // Another path of the same host is another front door.
    new TraefikBasicAuthIngress(chart('d', app), 't', { ...TRAEFIK, pathPrefix: '/scoring' });
  });

  test('the public cipher suite lists cannot be extended with RC4 before validation', () => {
    expect(() => (TraefikCipherSuites.ACCEPTED as string[]).push('TLS_RSA_WITH_RC4_128_SHA')).toThrow(TypeError);
    expect(() => (TraefikCipherSuites.MODERN as string[]).push('TLS_RSA_WITH_RC4_128_SHA')).toThrow(TypeError);
    expectRefused(() => new TraefikBasicAuthIngress(chart(), 't', { ...TRAEFIK, tlsOptions: { cipherSuites: ['TLS_RSA_WITH_RC4_128_SHA'] } }),
      'TraefikBasicAuthIngress ', 'tlsOptions.cipherSuites[0]');
  });
});

describe('found by the property tests', () => {
  test('fails a label key whose name passes 63 characters or whose prefix passes 253', () => {
    const pods = (selector: { [key: string]: string }) => IstioGateway.create({ tls: ISTIO_TLS, pods: { namespace: 'istio-system', selector } });
    expectRefused(() => istio(chart(), { ...ISTIO, gateway: pods({ ['a'.repeat(64)]: 'x' }) }), 'IstioGrpcIngress ', `gateway.pods.selector.${'a'.repeat(64)}`);
    expectRefused(() => istio(chart(), { ...ISTIO, gateway: pods({ [`${'c'.repeat(254)}/a`]: 'x' }) }), 'IstioGrpcIngress ', `gateway.pods.selector.${'c'.repeat(254)}/a`);
  });

  test('fails a list with a hole at the hole, not with a TypeError or a null in the output', () => {
    // eslint-disable-next-line no-sparse-arrays
    expectRefused(() => istio(chart(), { ...ISTIO, hosts: [, 'a.example.com'] }), 'IstioGrpcIngress ', 'hosts[0]');
    // eslint-disable-next-line no-sparse-arrays
    expectRefused(() => new EnvoyJwtProxy(chart(), 'p', { ...ENVOY, unauthenticatedPaths: [, '/healthz'] as any }), 'EnvoyJwtProxy ', 'unauthenticatedPaths[0]');
    // eslint-disable-next-line no-sparse-arrays
    expectRefused(() => AwsNlbTls.annotations({ certificateArns: [, ARN] as any }), 'AwsNlbTls.annotations', 'options.certificateArns[0]');
  });

  test('an image from a registry whose host has "--" (punycode) is fine; an uppercase repository is not', () => {
    new EnvoyJwtProxy(chart(), 'p', { ...ENVOY, image: 'xn--bcher-kva.example/envoy:v1.36.2' });
    expectRefused(() => new EnvoyJwtProxy(chart(), 'p', { ...ENVOY, image: 'EnvoyProxy/envoy:v1.36.2' }), 'EnvoyJwtProxy ', 'image');
  });

  test('fails a local gateway name its Service cannot take, and an ingress gateway reference with a long part', () => {
    expectRefused(() => new KServeLocalGateway(chart(), 'l', { name: '0gw' }), 'KServeLocalGateway ', 'name');
    expectRefused(() => new KServeLocalGateway(chart(), 'l', { ingress: { ingressGateway: `${'a'.repeat(64)}/b` } }), 'KServeLocalGateway ', 'ingress.ingressGateway');
  });

  test('names the options of a PEM key as options.kid and options.algorithm', () => {
    expectRefused(() => JsonWebKeySet.fromPublicKeyPem(FIXED_PUBLIC_KEY_PEM, { kid: '' }), 'JsonWebKeySet.fromPublicKeyPem', 'options.kid');
  });

  test('fails an NLB port name with "--", without showing a salt', () => {
    expectRefused(() => AwsNlbTls.annotations({ certificateArns: [ARN], sslPorts: ['https--x'] }), 'AwsNlbTls.annotations', 'options.sslPorts[0]');
    const e = expectRefused(() => BasicAuthUser.fromPassword('alice', 'pw', { cost: 4, salt: SECRET }), 'BasicAuthUser.fromPassword', 'options.salt');
    expect(e.message).not.toContain(SECRET);
  });

  test('fails on Envoy Gateway what its schemas refuse: a status it does not take, an endless timeout, more than 16 hosts', () => {
    const eg = GatewayImplementation.envoyGateway();
    const rest = (more: any) => new GatewayApiHttpIngress(chart(), 'r', {
      hosts: ['r.example.com'], backend: Backend.fromName('r', 80), gateway: GatewayApiGateway.create({ tls: TlsTermination.atLoadBalancer(), implementation: eg }), ...more,
    });
    const authz = { name: 'a', service: 'a.auth.svc.cluster.local', port: 9000 };
    expectRefused(() => rest({ externalAuthorization: { ...authz, statusOnError: 418 } }), 'GatewayApiHttpIngress ', 'externalAuthorization.statusOnError');
    expectRefused(() => rest({ externalAuthorization: { ...authz, timeout: Duration.hours(100_000) } }), 'GatewayApiHttpIngress ', 'externalAuthorization.timeout');
    expectRefused(() => rest({ jwt: JWT, hosts: Array.from({ length: 17 }, (_, i) => `h${i}.example.com`) }), 'GatewayApiHttpIngress ', 'hosts');
    expectRefused(() => rest({ jwt: JWT, pathPrefixes: Array.from({ length: 65 }, (_, i) => `/p${i}`) }), 'GatewayApiHttpIngress ', 'pathPrefixes');
  });
});

describe('secrets are never echoed', () => {
  test('fails a pasted "user:password" given for a credentials object or a user, without showing it', () => {
    for (const fn of [
      () => istio(chart(), { ...ISTIO, jwt: undefined, acknowledgeGatewayWideJwt: undefined, basicAuth: `alice:${SECRET}` }),
      () => istio(chart(), { ...ISTIO, jwt: undefined, acknowledgeGatewayWideJwt: undefined, basicAuth: { credentials: `alice:${SECRET}` } }),
      () => new TraefikBasicAuthIngress(chart(), 't', { ...TRAEFIK, users: [`alice:${SECRET}` as any] }),
      () => new TraefikBasicAuthIngress(chart(), 't', TRAEFIK).addUser({ username: 'alice', password: SECRET } as any),
    ]) {
      let message = '';
      try {
        fn();
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toContain(': invalid ');
      expect(message).not.toContain(SECRET);
    }
  });

  test('fails a pasted "user:password" as a username without showing the password', () => {
    for (const fn of [
      () => BasicAuthUser.fromPassword(`alice:${SECRET}`, 'pw'),
      () => BasicAuthUser.fromHash(`alice:${SECRET}`, '{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g='),
      () => istio(chart(), { ...ISTIO, jwt: undefined, acknowledgeGatewayWideJwt: undefined, basicAuth: { credentials: [{ username: `alice:${SECRET}`, password: 'p' }] } }),
    ]) {
      let message = '';
      try {
        fn();
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toContain('"alice:<redacted>"');
      expect(message).not.toContain(SECRET);
    }
  });

  test('fails a jwksUri with user:password@ without showing them', () => {
    const e = expectRefused(() => istio(chart(), { ...ISTIO, jwt: { ...JWT, jwks: JwksSource.fromUri(`https://jwks-reader:${SECRET}@issuer.example.com/jwks`) } }),
      'JwksSource.fromUri', 'uri');
    expect(e.message).not.toContain(SECRET);
    expect(e.message).not.toContain('jwks-reader');
    expect(e.message).toContain('https://<redacted>@issuer.example.com/jwks');
  });

  test('fails a password of the wrong type without showing it', () => {
    const e = expectRefused(() => istio(chart(), {
      ...ISTIO, jwt: undefined, acknowledgeGatewayWideJwt: undefined, basicAuth: { credentials: [{ username: 'alice', password: { value: SECRET } }] },
    }), 'IstioGrpcIngress ', 'basicAuth.credentials[0].password');
    expect(e.message).not.toContain(SECRET);
  });

  test('fails a private JWK member without showing it, and an unknown prop without its value', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk: any = privateKey.export({ format: 'jwk' });
    const e = expectRefused(() => JsonWebKeySet.fromJson(JSON.stringify({ keys: [jwk] })), 'JsonWebKeySet.fromJson', 'keys[0].d');
    expect(e.message).not.toContain(jwk.d);
    const u = expectRefused(() => istio(chart(), { ...ISTIO, password: SECRET }), 'IstioGrpcIngress ', 'password');
    expect(u.message).not.toContain(SECRET);
  });

  test('messages show how a value was made, not its internal fields', () => {
    const e = expectRefused(() => istio(chart(), { ...ISTIO, gateway: IstioGateway.create({ tls: TlsTermination.insecurePlainHttp() }) }), 'IstioGrpcIngress ', 'gateway.tls');
    expect(e.message).toContain('TlsTermination.insecurePlainHttp()');
    expect(e.message).not.toMatch(/_mode|"none"/);
    const t = expectRefused(() => new EnvoyJwtProxy(chart(), 'p', { ...ENVOY, backend: TlsTermination.atProxy(TlsCertificate.fromSecret('x')) as any }), 'EnvoyJwtProxy ', 'backend');
    expect(t.message).toContain('TlsTermination.atProxy(TlsCertificate.fromSecret("x"))');
    expect(t.message).not.toMatch(/_mode|_kind/);
  });
});

describe('namespaces', () => {
  test.each([
    ['IstioGrpcIngress', (c: Chart) => istio(c, {
      ...ISTIO, gateway: IstioGateway.existing({ name: 'shared', namespace: 'istio-system', pods: { namespace: 'istio-system', selector: { istio: 'ingressgateway' } } }),
    })],
    ['EnvoyJwtProxy', (c: Chart) => new EnvoyJwtProxy(c, 'p', ENVOY)],
    ['GatewayApiGrpcIngress', (c: Chart) => new GatewayApiGrpcIngress(c, 'gw', {
      hosts: ['api.example.com'], backend: GRPC, gateway: GatewayApiGateway.existing({ name: 'shared', namespace: 'gw' }), jwt: JWT, acknowledgeGatewayWideJwt: true,
    })],
    ['TraefikBasicAuthIngress', (c: Chart) => new TraefikBasicAuthIngress(c, 't', TRAEFIK)],
    ['MeshIsolatedInferenceService', (c: Chart) => new MeshIsolatedInferenceService(c, 'iris', KSERVE)],
  ])('fails %s without a chart namespace rather than routing to "default"', (name, make) => {
    expectRefused(() => make(chart(null)), `${name} `, 'namespace');
  });
});

describe('a refused construct leaves nothing behind', () => {
  test.each([
    ['IstioGrpcIngress', 'hosts[0]', (c: Chart, bad: boolean) => istio(c, bad ? { ...ISTIO, hosts: ['Bad_Host'] } : ISTIO)],
    ['EnvoyJwtProxy', 'replicas', (c: Chart, bad: boolean) => new EnvoyJwtProxy(c, 'api', bad ? { ...ENVOY, replicas: 0 } : ENVOY)],
    ['TraefikBasicAuthIngress', 'realm', (c: Chart, bad: boolean) => new TraefikBasicAuthIngress(c, 'api', bad ? { ...TRAEFIK, realm: 'a"b' } : TRAEFIK)],
    ['MeshIsolatedInferenceService', 'minReplicas', (c: Chart, bad: boolean) => new MeshIsolatedInferenceService(c, 'api', bad ? { ...KSERVE, minReplicas: -1 } : KSERVE)],
  ])('fails %s (%s), then the same id works on a retry', (name, prop, make) => {
    const c = chart();
    expectRefused(() => make(c, true), `${name} `, prop);
    expect(c.node.tryFindChild('api')).toBeUndefined();
    make(c, false);
    expect(Testing.synth(c).length).toBeGreaterThan(0);
  });

  test('a refused construct holds no claim: its host is free for the retry', () => {
    const c = chart();
    expect(() => istio(c, { ...ISTIO, retries: { attempts: -1 } })).toThrow('invalid retries.attempts -1');
    istio(c, ISTIO);
  });
});

describe('locale', () => {
  test('the second locale of the determinism tests changes collation in a fresh process (control)', () => {
    const script = path.join(__dirname, 'fixtures', 'collation.ts');
    const c = runInFreshProcess(script, 'C.UTF-8');
    const sv = runInFreshProcess(script, SECOND_LOCALE);
    expect(c).not.toBe(sv);
    expect(sv).toBe('azZåä');
  });
});

// The Gateway API front doors on Envoy Gateway (and the REST front door on both
// implementations): what they write, that it is schema-valid, and what they refuse.
import { ApiObject, Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import {
  Backend, GatewayApiGateway, GatewayApiGrpcIngress, GatewayApiGrpcIngressProps, GatewayApiHttpIngress, GatewayApiHttpIngressProps,
  ExternalAuthorizationProtocol, GatewayImplementation, JsonWebKeySet, JwksSource, JwtAudiences, TlsCertificate, TlsTermination,
} from '../../src';
import { FIXED_PUBLIC_KEY_PEM } from '../fixtures/public-key';
import { expectValidManifests } from '../schema';
import { docsOf, newChart, oneOf } from '../util';

const JWKS_URI = 'https://issuer.example.com/jwks.json';
const JWT = { issuer: 'https://issuer.example.com', jwks: JwksSource.fromUri(JWKS_URI), audiences: JwtAudiences.of(['ml-api']) };
const EG = GatewayImplementation.envoyGateway();
const atProxy = (secret: string) => TlsTermination.atProxy(TlsCertificate.fromSecret(secret));
/** A created Gateway on Istio (the default implementation), terminating TLS with `secret`. */
const istioGateway = (secret: string) => GatewayApiGateway.create({ tls: atProxy(secret) });
const AUTHZ = { name: 'authz', service: 'authz.auth.svc.cluster.local', port: 8080 };

function grpc(props: Partial<GatewayApiGrpcIngressProps> = {}, chart = newChart('ml')) {
  const door = new GatewayApiGrpcIngress(chart, 'api', {
    hosts: ['grpc.example.com'],
    backend: Backend.fromName('api', 8500, { portName: 'grpc' }),
    gateway: GatewayApiGateway.create({ tls: atProxy('api-cert'), implementation: EG }),
    jwt: JWT,
    ...props,
  });
  const docs = Testing.synth(chart);
  expectValidManifests(docs);
  return { door, docs, chart };
}

function rest(props: Partial<GatewayApiHttpIngressProps> = {}, chart = newChart('ml')) {
  const door = new GatewayApiHttpIngress(chart, 'rest', {
    hosts: ['rest.example.com'],
    backend: Backend.fromName('rest', 8080),
    gateway: GatewayApiGateway.create({ tls: atProxy('rest-cert'), implementation: EG }),
    jwt: JWT,
    pathPrefixes: ['/v2'],
    ...props,
  });
  const docs = Testing.synth(chart);
  expectValidManifests(docs);
  return { door, docs, chart };
}

describe('Envoy Gateway', () => {
  test('JWT is a SecurityPolicy on the route, with a remote JWKS, the audiences and an expiry rule', () => {
    const { door, docs } = grpc();
    const sp = oneOf(docs, 'SecurityPolicy');
    expect(sp.spec.targetRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'GRPCRoute', name: ApiObject.of(door.grpcRoute).name }]);
    expect(sp.spec.jwt.providers).toEqual([{
      name: 'issuer',
      issuer: JWT.issuer,
      audiences: ['ml-api'],
      remoteJWKS: { uri: JWKS_URI },
      claimToHeaders: [{ claim: 'exp', header: 'x-secure-serving-jwt-exp' }],
      extractFrom: { headers: [{ name: 'Authorization', valuePrefix: 'Bearer ' }] },
    }]);
    expect(sp.spec.jwt.optional).toBeUndefined();
    expect(sp.spec.authorization.defaultAction).toBe('Deny');
    expect(sp.spec.authorization.rules).toHaveLength(1);
    expect(sp.spec.authorization.rules[0].cel).toContain("matches('^[1-9][0-9]*$')");
    expect(docsOf(docs, 'RequestAuthentication')).toEqual([]);
    expect(docsOf(docs, 'AuthorizationPolicy')).toEqual([]);
  });

  test('a local JWKS is inlined; the token is removed before the backend unless forwarded', () => {
    const jwks = JsonWebKeySet.fromPublicKeyPem(FIXED_PUBLIC_KEY_PEM);
    const { docs } = grpc({ jwt: { issuer: JWT.issuer, jwks: JwksSource.fromKeySet(jwks), audiences: JwtAudiences.of(['ml-api']) } });
    const provider = oneOf(docs, 'SecurityPolicy').spec.jwt.providers[0];
    expect(provider.localJWKS).toEqual({ type: 'Inline', inline: jwks.toJson() });
    expect(provider.remoteJWKS).toBeUndefined();
    expect(oneOf(docs, 'GRPCRoute').spec.rules[0].filters).toEqual([{ type: 'RequestHeaderModifier', requestHeaderModifier: { remove: ['authorization'] } }]);
    const forwarded = grpc({ jwt: { ...JWT, forwardToken: true } }).docs;
    expect(oneOf(forwarded, 'GRPCRoute').spec.rules[0].filters).toBeUndefined();
  });

  test('a Gateway that terminates TLS gets TLS 1.2+, AEAD suites and ALPN h2; the GatewayClass is eg', () => {
    const { docs } = grpc();
    const gw = oneOf(docs, 'Gateway');
    expect(gw.spec.gatewayClassName).toBe('eg');
    const ctp = oneOf(docs, 'ClientTrafficPolicy');
    expect(ctp.spec.targetRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: gw.metadata.name, sectionName: 'https' }]);
    expect(ctp.spec.tls.minVersion).toBe('1.2');
    expect(ctp.spec.tls.alpnProtocols[0]).toBe('h2');
    expect(ctp.spec.tls.ciphers.every((c: string) => /^ECDHE-(ECDSA|RSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)$/.test(c))).toBe(true);
    expect(docsOf(grpc({ gateway: GatewayApiGateway.create({ tls: TlsTermination.atLoadBalancer(), implementation: EG }) }).docs, 'ClientTrafficPolicy')).toEqual([]);
  });

  test('no route timeout by default (Envoy would cut calls at 15 s); a given one in Gateway API units', () => {
    expect(oneOf(grpc().docs, 'BackendTrafficPolicy').spec.timeout).toEqual({ http: { requestTimeout: '0s' } });
    expect(oneOf(grpc({ timeout: Duration.millis(3_723_500) }).docs, 'BackendTrafficPolicy').spec.timeout.http.requestTimeout).toBe('1h2m3s500ms');
    expect(oneOf(rest({ timeout: Duration.minutes(10) }).docs, 'BackendTrafficPolicy').spec.timeout.http.requestTimeout).toBe('10m');
  });

  test('external authorization over HTTP, with a ReferenceGrant in the authorizer\'s namespace', () => {
    const { docs } = rest({ jwt: undefined, externalAuthorization: { ...AUTHZ, headersToUpstreamOnAllow: ['x-user'] } });
    const sp = oneOf(docs, 'SecurityPolicy');
    expect(sp.spec.extAuth).toEqual({
      http: { backendRefs: [{ name: 'authz', namespace: 'auth', port: 8080 }], headersToBackend: ['x-user'] },
      headersToExtAuth: ['authorization', 'cookie'],
      failOpen: false,
    });
    expect(sp.spec.jwt).toBeUndefined();
    const grant = oneOf(docs, 'ReferenceGrant');
    expect(grant.metadata.namespace).toBe('auth');
    expect(grant.spec).toEqual({ from: [{ group: 'gateway.envoyproxy.io', kind: 'SecurityPolicy', namespace: 'ml' }], to: [{ group: '', kind: 'Service', name: 'authz' }] });
    const local = rest({ jwt: undefined, externalAuthorization: { ...AUTHZ, service: 'authz.ml.svc.cluster.local' } }).docs;
    expect(docsOf(local, 'ReferenceGrant')).toEqual([]);
  });

  test('a gRPC authorizer (envoy.service.auth.v3): extAuth.grpc, every header sent', () => {
    const grpcAuthz = { ...AUTHZ, protocol: ExternalAuthorizationProtocol.GRPC, port: 9001, statusOnError: 503 };
    const { docs } = rest({ jwt: undefined, externalAuthorization: grpcAuthz });
    expect(oneOf(docs, 'SecurityPolicy').spec.extAuth).toEqual({
      grpc: { backendRefs: [{ name: 'authz', namespace: 'auth', port: 9001 }] }, failOpen: false, statusOnError: 503,
    });
  });

  test('JWT and external authorization together: one SecurityPolicy with both', () => {
    const sp = oneOf(rest({ externalAuthorization: AUTHZ }).docs, 'SecurityPolicy');
    expect(sp.spec.jwt.providers).toHaveLength(1);
    expect(sp.spec.extAuth.http.backendRefs).toHaveLength(1);
  });

  test('the backend admits only the Envoy pods of this Gateway, in Envoy Gateway\'s namespace', () => {
    const chart = newChart('ml');
    const svc = new kplus.Service(chart, 'svc', { selector: kplus.Pods.select(chart, 'pods', { labels: { app: 'api' } }), ports: [{ port: 8500, name: 'grpc' }] });
    const { docs } = grpc({
      backend: Backend.fromService(svc),
      gateway: GatewayApiGateway.create({ tls: atProxy('api-cert'), implementation: GatewayImplementation.envoyGateway({ proxyNamespace: 'eg-proxies' }) }),
    }, chart);
    const np = oneOf(docs, 'NetworkPolicy');
    const gw = oneOf(docs, 'Gateway').metadata.name;
    expect(np.spec.ingress[0].from).toEqual([{
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'eg-proxies' } },
      podSelector: { matchLabels: { 'gateway.envoyproxy.io/owning-gateway-name': gw, 'gateway.envoyproxy.io/owning-gateway-namespace': 'ml' } },
    }]);
    expect(docsOf(docs, 'AuthorizationPolicy')).toEqual([]);
  });

  test('a gRPC and a REST front door share one Gateway', () => {
    const chart = newChart('ml');
    const g = new GatewayApiGrpcIngress(chart, 'api', {
      hosts: ['grpc.example.com'],
      backend: Backend.fromName('api', 8500, { portName: 'grpc' }),
      gateway: GatewayApiGateway.create({ tls: atProxy('cert'), implementation: EG }),
      jwt: JWT,
    });
    const [namespace, name] = g.gatewayRef.split('/');
    new GatewayApiHttpIngress(chart, 'rest', {
      hosts: ['rest.example.com'],
      backend: Backend.fromName('rest', 8080),
      gateway: GatewayApiGateway.existing({ namespace, name, implementation: EG }),
      jwt: JWT,
      pathPrefixes: ['/v1/models', '/v2'],
    });
    const docs = Testing.synth(chart);
    expectValidManifests(docs);
    expect(docsOf(docs, 'Gateway')).toHaveLength(1);
    const route = docsOf(docs, 'HTTPRoute').find(r => r.spec.rules[0].backendRefs);
    expect(route.spec.parentRefs).toEqual([{ namespace: 'ml', name: ApiObject.of(g.gateway!).name, sectionName: 'https' }]);
    expect(route.spec.rules[0].matches).toEqual([{ path: { type: 'PathPrefix', value: '/v1/models' } }, { path: { type: 'PathPrefix', value: '/v2' } }]);
    expect(docsOf(docs, 'SecurityPolicy')).toHaveLength(2);
  });
});

describe('REST front door on Istio', () => {
  test('an HTTPRoute for the prefixes, JWT policies on the Gateway, the timeout on the route', () => {
    const { docs } = rest({ gateway: istioGateway('rest-cert'), timeout: Duration.minutes(5) });
    const route = docsOf(docs, 'HTTPRoute').find(r => r.spec.rules[0].backendRefs);
    expect(route.spec.rules[0].matches).toEqual([{ path: { type: 'PathPrefix', value: '/v2' } }]);
    expect(route.spec.rules[0].timeouts).toEqual({ request: '5m' });
    expect(oneOf(docs, 'Gateway').spec.gatewayClassName).toBe('istio');
    expect(docsOf(docs, 'RequestAuthentication')).toHaveLength(1);
    expect(docsOf(docs, 'SecurityPolicy')).toEqual([]);
  });
});

describe('bad input', () => {
  test.each([
    ['fails external authorization on Istio', () => rest({ gateway: istioGateway('rest-cert'), jwt: undefined, externalAuthorization: AUTHZ }), 'externalAuthorization',
      'GatewayImplementation.envoyGateway() for externalAuthorization'],
    ['fails failOpen without its acknowledgement', () => rest({ jwt: undefined, externalAuthorization: { ...AUTHZ, failOpen: true } }),
      'externalAuthorization.failOpen', 'when the authorization service is down, every protected app is open'],
    ['fails an authorizer that is not a cluster Service name', () => rest({ jwt: undefined, externalAuthorization: { ...AUTHZ, service: 'authz.example.com:8080' } }),
      'externalAuthorization.service', 'a cluster FQDN'],
    ['fails request headers for a gRPC authorizer', () => rest({
      jwt: undefined, externalAuthorization: { ...AUTHZ, protocol: ExternalAuthorizationProtocol.GRPC, includeRequestHeadersInCheck: ['cookie'] },
    }), 'externalAuthorization.includeRequestHeadersInCheck', 'the gRPC check request carries every header'],
    ['fails headersToDownstreamOnDeny on Envoy Gateway', () => rest({ jwt: undefined, externalAuthorization: { ...AUTHZ, headersToDownstreamOnDeny: ['set-cookie'] } }),
      'externalAuthorization.headersToDownstreamOnDeny', 'no headersToDownstreamOnDeny with Envoy Gateway'],
    ['fails no authentication without the opt-in', () => rest({ jwt: undefined }), 'jwt', 'jwt or externalAuthorization'],
    ['fails a timeout on an Istio GRPCRoute', () => grpc({ gateway: istioGateway('api-cert'), timeout: Duration.seconds(30) }), 'timeout', 'a GRPCRoute has none'],
    ['fails acknowledgeGatewayWideJwt on Envoy Gateway', () => grpc({ gateway: GatewayApiGateway.existing({ name: 'shared', namespace: 'gw', implementation: EG }), acknowledgeGatewayWideJwt: true }),
      'acknowledgeGatewayWideJwt', 'applies to this route only'],
    ['fails a path prefix with a trailing slash', () => rest({ pathPrefixes: ['/v2/'] }), 'pathPrefixes[0]', 'no trailing "/"'],
    ['fails a path prefix with a dot segment', () => rest({ pathPrefixes: ['/v2/../admin'] }), 'pathPrefixes[0]', '".." segment'],
    ['fails a percent-encoded path prefix', () => rest({ pathPrefixes: ['/v2%2Fmodels'] }), 'pathPrefixes[0]', 'no "%"'],
    ['fails a path prefix listed twice', () => rest({ pathPrefixes: ['/v2', '/v2'] }), 'pathPrefixes[1]', 'each prefix once'],
    ['fails no path prefix', () => rest({ pathPrefixes: [] }), 'pathPrefixes', 'from 1 to 64 path prefixes'],
    ['fails a bad GatewayClass', () => GatewayImplementation.envoyGateway({ gatewayClassName: 'Envoy Gateway' }), 'options.gatewayClassName', 'a DNS-1123 subdomain'],
    ['fails a bad proxy namespace', () => GatewayImplementation.envoyGateway({ proxyNamespace: 'EG' }), 'options.proxyNamespace', 'a DNS-1123 label'],
  ])('%s', (_name, fn, prop, expected) => {
    expect(fn).toThrow(new RegExp(`: invalid ${prop.replace(/[.[\]]/g, '\\$&')} .*: expected .*${expected.replace(/[.()[\]*+?"]/g, '\\$&')}`));
  });

  test('fails a gRPC and a REST front door on the same host (Gateway API leaves their order to the controller)', () => {
    const chart = newChart('ml');
    grpc({ hosts: ['ml.example.com'] }, chart);
    expect(() => rest({ hosts: ['ml.example.com'] }, chart)).toThrow(/invalid hosts\[0\] "ml.example.com": expected a host without a GRPCRoute/);
  });

  test('wildcard hosts are fine with JWT on Envoy Gateway (the policy is on the route, whatever the Host header)', () => {
    const { docs } = grpc({ hosts: ['*.example.com'] });
    expect(oneOf(docs, 'GRPCRoute').spec.hostnames).toEqual(['*.example.com']);
  });
});

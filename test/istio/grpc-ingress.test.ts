import { generateKeyPairSync } from 'crypto';
import { ApiObject, Duration, Testing } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import {
  Backend, IstioGateway, IstioGrpcIngress, IstioGrpcIngressProps, JsonWebKeySet, JwksSource, JwtAudiences, JwtIssuer, ProxyPods, TlsCertificate,
  TlsTermination,
} from '../../src';
import { expectValidManifests } from '../schema';
import { docsOf, newChart, oneOf, SECOND_LOCALE, synthInFreshProcess } from '../util';

const backend = Backend.fromName('ml-api', 8500, { portName: 'grpc' });
const ecPem = () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();

const JWT: JwtIssuer = { issuer: 'https://issuer.example.com', jwks: JwksSource.fromUri('https://issuer.example.com/jwks'), audiences: JwtAudiences.of(['ml-api']) };
const LB = () => IstioGateway.create({ tls: TlsTermination.atLoadBalancer() });
const SHARED_PODS: ProxyPods = { namespace: 'ingress', selector: { app: 'gw' } };

/** The seed's ingress; open (allowUnauthenticated) unless the props authenticate, so that each test shows one thing. */
function build(props: Partial<IstioGrpcIngressProps> = {}) {
  const chart = newChart('ml-services');
  const authenticated = props.jwt !== undefined || props.basicAuth !== undefined || 'allowUnauthenticated' in props;
  const ingress = new IstioGrpcIngress(chart, 'ml-api', {
    hosts: ['ml.example.com'],
    backend,
    gateway: LB(),
    allowUnauthenticated: authenticated ? undefined : true,
    acknowledgeGatewayWideJwt: props.jwt !== undefined ? true : undefined,
    ...props,
  });
  const docs = Testing.synth(chart);
  return { chart, ingress, docs };
}

describe('TLS at the load balancer (the seed)', () => {
  const { ingress, docs } = build();

  test('the default child is the VirtualService', () => {
    expect(ingress.node.defaultChild).toBe(ingress.virtualService);
    expect(ApiObject.of(ingress.virtualService).kind).toBe('VirtualService');
  });

  test('schema-valid Gateway and VirtualService', () => {
    expect(docs.map(d => `${d.apiVersion} ${d.kind}`)).toEqual(['networking.istio.io/v1 Gateway', 'networking.istio.io/v1 VirtualService']);
    expectValidManifests(docs);
    expect(docs).toMatchSnapshot();
  });

  test('the Gateway redirects 80 to HTTPS and serves HTTP on 443 (TLS already ended)', () => {
    const gw = oneOf(docs, 'Gateway');
    expect(gw.metadata.namespace).toBe('istio-system');
    expect(gw.spec).toEqual({
      selector: { istio: 'ingressgateway' },
      servers: [
        // `namespace/host`: only VirtualServices of the route's namespace can bind these hosts
        { hosts: ['ml-services/ml.example.com'], port: { number: 80, name: 'http', protocol: 'HTTP' }, tls: { httpsRedirect: true } },
        { hosts: ['ml-services/ml.example.com'], port: { number: 443, name: 'https', protocol: 'HTTP' } },
      ],
    });
  });

  test('the VirtualService routes the hosts to the backend FQDN and port, with no timeout', () => {
    const vs = oneOf(docs, 'VirtualService');
    const gw = oneOf(docs, 'Gateway');
    expect(vs.metadata.namespace).toBe('ml-services');
    expect(vs.spec).toEqual({
      hosts: ['ml.example.com'],
      gateways: [`istio-system/${gw.metadata.name}`],
      http: [{ match: [{ uri: { prefix: '/' } }], route: [{ destination: { host: 'ml-api.ml-services.svc.cluster.local', port: { number: 8500 } } }] }],
    });
    expect(ingress.gatewayRef).toBe(`istio-system/${gw.metadata.name}`);
  });
});

describe('TLS at the gateway', () => {
  test('SIMPLE: HTTPS with the credential and TLS 1.2 minimum', () => {
    const { docs } = build({ gateway: IstioGateway.create({ tls: TlsTermination.atProxy(TlsCertificate.fromSecret('ml-cert')), httpsRedirect: false }) });
    const gw = oneOf(docs, 'Gateway');
    expect(gw.spec.servers).toEqual([{
      hosts: ['ml-services/ml.example.com'],
      port: { number: 443, name: 'https', protocol: 'HTTPS' },
      tls: { mode: 'SIMPLE', credentialName: 'ml-cert', minProtocolVersion: 'TLSV1_2' },
    }]);
    expectValidManifests(docs);
    expect(docs).toMatchSnapshot();
  });
  test('MUTUAL', () => {
    const { docs } = build({ gateway: IstioGateway.create({ tls: TlsTermination.mutualAtProxy(TlsCertificate.fromSecret('ml-mtls')) }) });
    expect(oneOf(docs, 'Gateway').spec.servers[1].tls).toEqual({ mode: 'MUTUAL', credentialName: 'ml-mtls', minProtocolVersion: 'TLSV1_2' });
    expectValidManifests(docs);
  });
});

describe('existing gateway', () => {
  test('binds to it and creates no Gateway; policies select the gateway pods given', () => {
    const { docs } = build({
      gateway: IstioGateway.existing({ name: 'tfy-wildcard', namespace: 'istio-system', pods: { namespace: 'istio-system', selector: { istio: 'tfy-istio-ingress' } } }),
      basicAuth: { credentials: [{ username: 'username', password: 'password' }] },
    });
    expect(docsOf(docs, 'Gateway')).toHaveLength(0);
    expect(oneOf(docs, 'VirtualService').spec.gateways).toEqual(['istio-system/tfy-wildcard']);
    expect(oneOf(docs, 'WasmPlugin').spec.selector).toEqual({ matchLabels: { istio: 'tfy-istio-ingress' } });
    expectValidManifests(docs);
    expect(docs).toMatchSnapshot();
  });
});

describe('route options', () => {
  test('timeout and gRPC-aware retries', () => {
    const { docs } = build({
      timeout: Duration.minutes(10),
      retries: { attempts: 3, perTryTimeout: Duration.seconds(90), retryOn: ['unavailable', 'resource-exhausted', '503'] },
    });
    const http = oneOf(docs, 'VirtualService').spec.http[0];
    expect(http.timeout).toBe('600s');
    expect(http.retries).toEqual({ attempts: 3, perTryTimeout: '90s', retryOn: 'unavailable,resource-exhausted,503' });
    expectValidManifests(docs);
  });
  test('default retry conditions', () => {
    const { docs } = build({ retries: {} });
    expect(oneOf(docs, 'VirtualService').spec.http[0].retries).toEqual({ attempts: 2, retryOn: 'connect-failure,refused-stream,unavailable,cancelled' });
  });
  test('a cdk8s-plus Service with a grpc port in the chart namespace', () => {
    const chart = newChart('ml-services');
    const svc = new kplus.Service(chart, 'svc', { metadata: { name: 'ml-api' }, ports: [{ port: 8500, name: 'grpc-infer' }] });
    new IstioGrpcIngress(chart, 'i', {
      hosts: ['ml.example.com'], backend: Backend.fromService(svc), gateway: LB(), allowUnauthenticated: true, allowDirectBackendAccess: true,
    });
    const vs = oneOf(Testing.synth(chart), 'VirtualService');
    expect(vs.spec.http[0].route[0].destination).toEqual({ host: 'ml-api.ml-services.svc.cluster.local', port: { number: 8500 } });
  });
});

describe('basic auth', () => {
  const { docs } = build({
    hosts: ['ml.example.com', 'api.models.example.com'],
    basicAuth: { credentials: [{ username: 'zed', password: 'pw:with:colons' }, { username: 'amy', password: 'secret-1' }], realm: 'models' },
  });
  const plugin = oneOf(docs, 'WasmPlugin');

  test('a fail-closed AUTHN WasmPlugin on the gateway pods in their namespace', () => {
    expect(plugin.metadata.namespace).toBe('istio-system');
    expect(plugin.spec).toMatchObject({
      selector: { matchLabels: { istio: 'ingressgateway' } },
      url: 'oci://ghcr.io/istio-ecosystem/wasm-extensions/basic_auth:1.12.0',
      phase: 'AUTHN',
      failStrategy: 'FAIL_CLOSE',
    });
    expectValidManifests(docs);
  });

  test('one rule: prefix /, every method including POST, the hosts, base64 credentials sorted by user', () => {
    const rules = plugin.spec.pluginConfig.basic_auth_rules;
    expect(plugin.spec.pluginConfig.realm).toBe('models');
    expect(rules).toHaveLength(1);
    expect(rules[0].prefix).toBe('/');
    expect(rules[0].request_methods).toEqual(['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE']);
    // the plugin drops the port itself, then compares exactly
    expect(rules[0].hosts).toEqual(['ml.example.com', 'api.models.example.com']);
    const decoded = rules[0].credentials.map((c: string) => Buffer.from(c, 'base64').toString('utf8'));
    expect(decoded).toEqual(['amy:secret-1', 'zed:pw:with:colons']);
    // only the plugin's encoded form, never the plain "user:password" text
    expect(JSON.stringify(docs)).not.toContain('secret-1');
  });

  test('the route matches only what the plugin checks: the hosts exactly (case and all), its methods, its prefix; it drops the credentials', () => {
    const http = oneOf(docs, 'VirtualService').spec.http[0];
    expect(http.match).toEqual([{
      uri: { prefix: '/' },
      authority: { regex: '(api\\.models\\.example\\.com(:[0-9]+)?|ml\\.example\\.com(:[0-9]+)?)' },
      method: { regex: '(CONNECT|DELETE|GET|HEAD|OPTIONS|PATCH|POST|PUT|TRACE)' },
    }]);
    expect(http.headers).toEqual({ request: { remove: ['authorization'] } });
  });

  test('plugin URL and sha256 can be pinned', () => {
    const sha = 'a'.repeat(64);
    const out = build({ basicAuth: { credentials: [{ username: 'u', password: 'p' }], pluginUrl: 'https://example.com/basic_auth.wasm', pluginSha256: sha } }).docs;
    expect(oneOf(out, 'WasmPlugin').spec).toMatchObject({ url: 'https://example.com/basic_auth.wasm', sha256: sha });
    expectValidManifests(out);
  });
});

describe('JWT', () => {
  test('RequestAuthentication and a DENY policy for requests to these hosts without a token of the issuer, for the audience, with an expiry', () => {
    const { docs } = build({ hosts: ['ml.example.com', 'api.example.com'], jwt: JWT });
    const ra = oneOf(docs, 'RequestAuthentication');
    const deny = oneOf(docs, 'AuthorizationPolicy');
    expect(ra.metadata.namespace).toBe('istio-system');
    expect(ra.spec).toEqual({
      selector: { matchLabels: { istio: 'ingressgateway' } },
      jwtRules: [{
        issuer: 'https://issuer.example.com',
        jwksUri: 'https://issuer.example.com/jwks',
        audiences: ['ml-api'],
        forwardOriginalToken: false,
        // Istio sets no require_expiration and cannot match a numeric claim: the DENY rule checks this header
        outputClaimToHeaders: [{ header: 'x-secure-serving-jwt-exp', claim: 'exp' }],
      }],
    });
    expect(ra.spec.jwtRules[0].jwks_uri).toBeUndefined();
    const to = [{ operation: { hosts: ['ml.example.com', 'ml.example.com:*', 'api.example.com', 'api.example.com:*'] } }];
    expect(deny.spec).toEqual({
      selector: { matchLabels: { istio: 'ingressgateway' } },
      action: 'DENY',
      rules: [
        { from: [{ source: { notRequestPrincipals: ['https://issuer.example.com/*'] } }], to },
        { to, when: [{ key: 'request.auth.audiences', notValues: ['ml-api'] }] },
        { to, when: [{ key: 'request.headers[x-secure-serving-jwt-exp]', notValues: ['*'] }] },
        // exp 0 (or below 1) means no expiry to Envoy: refused too
        { to, when: [{ key: 'request.headers[x-secure-serving-jwt-exp]', values: ['0*'] }] },
      ],
    });
    expectValidManifests(docs);
    expect(docs).toMatchSnapshot();
  });

  test('an inline JsonWebKeySet', () => {
    const jwks = JsonWebKeySet.fromPublicKeyPem(ecPem());
    const { docs } = build({ jwt: { issuer: 'me', jwks: JwksSource.fromKeySet(jwks), audiences: JwtAudiences.of(['ml-api']) } });
    const rule = oneOf(docs, 'RequestAuthentication').spec.jwtRules[0];
    expect(rule.jwksUri).toBeUndefined();
    expect(JSON.parse(rule.jwks)).toEqual(JSON.parse(jwks.toJson()));
    expect(rule.jwks).not.toMatch(/"d"/);
    expectValidManifests(docs);
  });

  test('the same props give the same YAML in two fresh processes, under two locales', () => {
    const a = synthInFreshProcess('istio');
    expect(a).toContain('kind: WasmPlugin');
    expect(synthInFreshProcess('istio', SECOND_LOCALE)).toBe(a);
  }, 60_000);
});

describe('bad input', () => {
  const cred = [{ username: 'u', password: 'p' }];
  // a function where making the props fails already (the value types check their arguments)
  const cases: [string, Partial<IstioGrpcIngressProps> | (() => Partial<IstioGrpcIngressProps>), string | RegExp][] = [
    ['fails no hosts', { hosts: [] }, 'IstioGrpcIngress test/ml-api: invalid hosts []: expected at least one host name'],
    ['fails a host that is not a DNS name', { hosts: ['ml_example'] }, 'invalid hosts[0] "ml_example": expected a fully qualified DNS name'],
    ['fails a duplicate host', { hosts: ['ml.example.com', 'ml.example.com'] }, 'invalid hosts[1] "ml.example.com": expected each host once'],
    ['fails a backend port not named for gRPC', { backend: Backend.fromName('ml-api', 8500, { portName: 'port-8500' }) },
      /invalid backend "ml-api:8500 \(port name \\"port-8500\\"\)": expected a Service port named "grpc" or "grpc-<suffix>"/],
    ['fails basic auth with no credentials', { basicAuth: { credentials: [] } }, 'invalid basicAuth.credentials []: expected at least one credential'],
    ['fails an empty username', { basicAuth: { credentials: [{ username: '', password: 'p' }] } }, 'invalid basicAuth.credentials[0].username ""'],
    ['fails a username with ":"', { basicAuth: { credentials: [{ username: 'a:b', password: 'p' }] } }, 'invalid basicAuth.credentials[0].username "a:<redacted>"'],
    ['fails an empty password', { basicAuth: { credentials: [{ username: 'u', password: '' }] } }, 'invalid basicAuth.credentials[0].password <redacted>'],
    ['fails a duplicate user', { basicAuth: { credentials: [...cred, ...cred] } }, 'invalid basicAuth.credentials[1].username "u": expected each user once'],
    ['fails methods not uppercase', { basicAuth: { credentials: cred, methods: ['post'] } }, 'invalid basicAuth.methods[0] "post": expected an uppercase HTTP method'],
    ['fails methods without POST', { basicAuth: { credentials: cred, methods: ['GET'] } }, /invalid basicAuth.methods \["GET"\]: expected a list that includes POST/],
    ['fails a path matcher not starting with /', { basicAuth: { credentials: cred, pathPrefix: 'v1' } }, 'invalid basicAuth.pathPrefix "v1": expected a path starting with "/"'],
    ['fails a malformed sha256', { basicAuth: { credentials: cred, pluginSha256: 'ABC' } }, 'invalid basicAuth.pluginSha256 "ABC": expected 64 lowercase hexadecimal digits'],
    ['fails basic auth on a wildcard host', { hosts: ['*.example.com'], basicAuth: { credentials: cred } },
      'invalid hosts[0] "*.example.com": expected a host name without a wildcard with basicAuth'],
    ['fails a plugin URL scheme', { basicAuth: { credentials: cred, pluginUrl: 'http://example.com/p.wasm' } }, 'invalid basicAuth.pluginUrl "http://example.com/p.wasm"'],
    ['fails JWT with an empty issuer', { jwt: { ...JWT, issuer: '' } }, 'invalid jwt.issuer "": expected an issuer such as'],
    ['fails a non-https JWKS URI', () => ({ jwt: { ...JWT, jwks: JwksSource.fromUri('http://x.example.com/jwks') } }),
      'JwksSource.fromUri: invalid uri "http://x.example.com/jwks": expected an https:// URL'],
    // a caller without the types (JavaScript) can leave the audiences out
    ['fails JWT without audiences', { jwt: { issuer: 'i', jwks: JwksSource.fromUri('https://x.example.com/j') } as JwtIssuer },
      /invalid jwt.audiences undefined: expected a JwtAudiences, from JwtAudiences.acceptAny\(\), JwtAudiences.of\(\) \(required: the audiences \(aud claim\) tokens must be for; without them every token of the issuer is accepted/],
    ['fails JWT with empty audiences', () => ({ jwt: { ...JWT, audiences: JwtAudiences.of([]) } }),
      'JwtAudiences.of: invalid audiences []: expected at least one audience'],
    ['fails basic auth and JWT together', { basicAuth: { credentials: cred }, jwt: { ...JWT, issuer: 'i' } }, 'invalid jwt "i": expected either basicAuth or jwt, not both'],
    ['fails JWT without acknowledging that it applies to the whole gateway', { jwt: JWT, acknowledgeGatewayWideJwt: undefined },
      /invalid acknowledgeGatewayWideJwt undefined: expected true with jwt: the RequestAuthentication applies to every request through the gateway pods/],
    ['fails no authentication without allowUnauthenticated', { allowUnauthenticated: undefined },
      'invalid jwt undefined: expected jwt or basicAuth: without either, anyone who reaches the gateway can call the backend (allowUnauthenticated: true if that is intended)'],
    ['fails allowUnauthenticated given as a string', { allowUnauthenticated: 'true' as any }, 'invalid allowUnauthenticated "true": expected true or false'],
    ['fails allowUnauthenticated with JWT', { jwt: JWT, allowUnauthenticated: true }, 'invalid allowUnauthenticated true: expected false (or unset) with jwt'],
    ['fails httpsRedirect given as a string', () => ({ gateway: IstioGateway.create({ tls: TlsTermination.atLoadBalancer(), httpsRedirect: 'false' as any }) }),
      'IstioGateway.create: invalid options.httpsRedirect "false": expected true or false'],
    ['fails a realm the plugin cannot write unquoted', { basicAuth: { credentials: cred, realm: 'my models' } }, 'invalid basicAuth.realm "my models"'],
    ['fails an existing gateway without a namespace', { gateway: IstioGateway.existing({ name: 'gw', namespace: '', pods: SHARED_PODS }) },
      'invalid gateway.namespace ""'],
    ['fails an existing gateway whose name is "namespace/name"', { gateway: IstioGateway.existing({ name: 'ingress/gw', namespace: 'ingress', pods: SHARED_PODS }) },
      'invalid gateway.name "ingress/gw"'],
    ['fails a zero timeout', { timeout: Duration.seconds(0) }, 'invalid timeout 0ms'],
    ['fails an unknown retry condition', { retries: { retryOn: ['sometimes'] } }, 'invalid retries.retryOn[0] "sometimes"'],
    ['fails an empty gateway selector', { gateway: IstioGateway.create({ tls: TlsTermination.atLoadBalancer(), pods: { namespace: 'istio-system', selector: {} } }) },
      'invalid gateway.pods.selector {}'],
    ['fails a bad gateway namespace', { gateway: IstioGateway.create({ tls: TlsTermination.atLoadBalancer(), pods: { namespace: 'Istio', selector: { istio: 'ingressgateway' } } }) },
      'invalid gateway.pods.namespace "Istio"'],
  ];
  test.each(cases)('%s', (_name, props, message) => {
    expect(() => build(typeof props === 'function' ? props() : props)).toThrow(message);
  });

  test('fails a cdk8s-plus Service whose port is not named for gRPC, saying how to fix it', () => {
    const chart = newChart();
    const svc = new kplus.Service(chart, 'svc', { ports: [{ port: 8500, name: 'port-8500' }] });
    expect(() => new IstioGrpcIngress(chart, 'i', { hosts: ['ml.example.com'], backend: Backend.fromService(svc), gateway: LB(), allowUnauthenticated: true }))
      .toThrow(/name it when you create the Service, for example ports: \[\{ port: 8500, name: "grpc" \}\]/);
  });
  test('fails a TLS credential that is not a Secret name', () => {
    expect(() => TlsTermination.atProxy(TlsCertificate.fromSecret(''))).toThrow('TlsCertificate.fromSecret: invalid secretName ""');
    expect(() => TlsTermination.mutualAtProxy(TlsCertificate.fromSecret('Bad_Name'))).toThrow('TlsCertificate.fromSecret: invalid secretName "Bad_Name"');
  });
});

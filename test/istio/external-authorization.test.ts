import { Duration, Testing } from 'cdk8s';
import { ExternalAuthorizationProtocol, IstioExternalAuthorization, IstioExternalAuthorizationProps, JwksSource, JwtAudiences, JwtIssuer } from '../../src';
import { policyRuleMatches } from '../../src/lint/model/istio';
import { envoyConfigErrors } from '../envoy/protos';
import { expectValidManifests } from '../schema';
import { docsOf, newChart, oneOf, SECOND_LOCALE, synthInFreshProcess } from '../util';

const MODEL_HOST = 'sklearn-iris.kserve-test.example.com';
const provider = {
  name: 'dex-auth-provider',
  service: 'authservice.istio-system.svc.cluster.local',
  port: 8080,
  headersToUpstreamOnAllow: ['kubeflow-userid'],
};
const K8S_ISSUER = 'https://kubernetes.default.svc.cluster.local';
const K8S_JWKS_URI = 'https://kubernetes.default.svc.cluster.local/openid/v1/jwks';
const k8sJwt: JwtIssuer = { issuer: K8S_ISSUER, jwks: JwksSource.fromUri(K8S_JWKS_URI), audiences: JwtAudiences.of(['sklearn-iris']) };

function build(props: Partial<IstioExternalAuthorizationProps> = {}) {
  const chart = newChart('kubeflow');
  const authz = new IstioExternalAuthorization(chart, 'dex', {
    provider,
    exemptions: [{ hosts: [MODEL_HOST], jwt: k8sJwt }],
    ...props,
    acknowledgeGatewayWideJwt: 'acknowledgeGatewayWideJwt' in props ? props.acknowledgeGatewayWideJwt : ('exemptions' in props ? props.exemptions?.some(e => e.jwt !== undefined) || undefined : true),
  });
  return { authz, docs: Testing.synth(chart) };
}

interface Req { host: string; path: string; headers?: Record<string, string> }
/** A rule as Istio matches it (src/lint/model/istio.ts, from istio/istio pilot/pkg/security/authz). */
const ruleMatches = (rule: any, req: Req) => policyRuleMatches(rule, { authority: req.host, path: req.path, method: 'POST', headers: req.headers ?? {} });
/** Whether a CUSTOM policy sends the request to the authorization service. */
function checked(policy: any, req: Req): boolean {
  return policy.spec.rules.some((r: any) => ruleMatches(r, req));
}

describe('defaults: KServe inference paths on the model host, JWT required', () => {
  const { authz, docs } = build();
  const custom = docsOf(docs, 'AuthorizationPolicy').find(d => d.spec.action === 'CUSTOM');

  test('the default child is the CUSTOM policy', () => {
    expect(authz.node.defaultChild).toBe(authz.policy);
  });

  test('schema-valid documents', () => {
    expect(docs.map(d => `${d.kind} ${d.spec.action ?? ''}`.trim()).sort()).toEqual([
      'AuthorizationPolicy CUSTOM', 'AuthorizationPolicy DENY', 'AuthorizationPolicy DENY', 'EnvoyFilter', 'RequestAuthentication',
    ]);
    expectValidManifests(docs);
    expect(docs).toMatchSnapshot();
  });

  test('the CUSTOM policy names the provider on the gateway pods', () => {
    expect(custom.metadata.namespace).toBe('istio-system');
    expect(custom.spec.selector).toEqual({ matchLabels: { istio: 'ingressgateway' } });
    expect(custom.spec.provider).toEqual({ name: 'dex-auth-provider' });
  });

  test.each([
    [MODEL_HOST, '/v1/models/sklearn-iris:predict', false],
    [`${MODEL_HOST}:443`, '/v2/models/sklearn-iris/infer', false],
    [MODEL_HOST, '/inference.GRPCInferenceService/ModelInfer', false],
    [MODEL_HOST, '/', true],
    [MODEL_HOST, '/v1/other', true],
    ['dashboard.example.com', '/v1/models/x:predict', true],
    ['other-app.example.com', '/v1/admin', true],
    ['dashboard.example.com', '/', true],
  ])('%s %s: checked by the authorization service = %s', (host, path, expected) => {
    expect(checked(custom, { host, path })).toBe(expected);
  });

  test('a request to another app\'s /v1/... path is NOT exempted, while the seed\'s notPaths rule exempts it', () => {
    const seed = { spec: { rules: [{ to: [{ operation: { notPaths: ['/v1*'] } }] }] } };
    const req = { host: 'other-app.example.com', path: '/v1/admin' };
    expect(checked(seed, req)).toBe(false);
    expect(checked(custom, req)).toBe(true);
  });

  test('exempted requests need a token of the issuer for the audience, with an expiry: RequestAuthentication + DENY on host AND paths', () => {
    const ra = oneOf(docs, 'RequestAuthentication');
    expect(ra.spec.jwtRules).toEqual([{
      issuer: K8S_ISSUER,
      jwksUri: K8S_JWKS_URI,
      audiences: ['sklearn-iris'],
      forwardOriginalToken: false,
      outputClaimToHeaders: [{ header: 'x-secure-serving-jwt-exp', claim: 'exp' }],
    }]);
    const deny = docsOf(docs, 'AuthorizationPolicy').find(d => d.metadata.name.includes('requirejwt'));
    const to = [{ operation: { hosts: [MODEL_HOST, `${MODEL_HOST}:*`], paths: ['/v1/models/*', '/v2/models/*', '/inference.GRPCInferenceService/*'] } }];
    expect(deny.spec.rules).toEqual([
      { from: [{ source: { notRequestPrincipals: ['https://kubernetes.default.svc.cluster.local/*'] } }], to },
      { to, when: [{ key: 'request.auth.audiences', notValues: ['sklearn-iris'] }] },
      { to, when: [{ key: 'request.headers[x-secure-serving-jwt-exp]', notValues: ['*'] }] },
      { to, when: [{ key: 'request.headers[x-secure-serving-jwt-exp]', values: ['0*'] }] },
    ]);
  });

  test('the gateway normalizes paths before any policy (escaped slashes unescaped and redirected, slashes merged), refuses ";" parameters on the exempted hosts', () => {
    const filter = oneOf(docs, 'EnvoyFilter');
    expect(filter.apiVersion).toBe('networking.istio.io/v1alpha3');
    expect(filter.metadata.namespace).toBe('istio-system');
    expect(filter.spec.workloadSelector).toEqual({ labels: { istio: 'ingressgateway' } });
    const [hcm, rbac] = filter.spec.configPatches;
    expect(hcm).toMatchObject({ applyTo: 'NETWORK_FILTER', match: { context: 'GATEWAY' }, patch: { operation: 'MERGE' } });
    expect(hcm.patch.value.typed_config).toEqual({
      '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
      'normalize_path': true,
      'merge_slashes': true,
      'path_with_escaped_slashes_action': 'UNESCAPE_AND_REDIRECT',
      'common_http_protocol_options': { headers_with_underscores_action: 'DROP_HEADER' },
    });
    expect(rbac).toMatchObject({ applyTo: 'HTTP_FILTER', patch: { operation: 'INSERT_FIRST', value: { name: 'envoy.filters.http.rbac' } } });
    expect(rbac.patch.value.typed_config.rules.policies['path-parameters-on-exempted-hosts'].permissions[0].and_rules.rules).toEqual([
      { header: { name: ':authority', string_match: { safe_regex: { regex: '(?i)(sklearn-iris\\.kserve-test\\.example\\.com(:[0-9]+)?)' } } } },
      { url_path: { path: { safe_regex: { regex: '.*(;|%3[Bb]).*' } } } },
    ]);
    // both patches are Envoy configuration: decoded strictly against Envoy's protos
    expect(envoyConfigErrors(hcm.patch.value.typed_config, 'google.protobuf.Any')).toEqual([]);
    expect(envoyConfigErrors(rbac.patch.value.typed_config, 'google.protobuf.Any')).toEqual([]);
  });

  test('exempted requests carrying an identity header are denied; checked requests are not affected', () => {
    const deny = docsOf(docs, 'AuthorizationPolicy').find(d => d.metadata.name.includes('denyforgedidentity'));
    expect(deny.spec.action).toBe('DENY');
    const forged = { host: MODEL_HOST, path: '/v1/models/m:predict', headers: { 'kubeflow-userid': 'admin@example.com' } };
    expect(deny.spec.rules.some((r: any) => ruleMatches(r, forged))).toBe(true);
    expect(deny.spec.rules.some((r: any) => ruleMatches(r, { ...forged, headers: {} }))).toBe(false);
    expect(deny.spec.rules.some((r: any) => ruleMatches(r, { ...forged, host: 'dashboard.example.com' }))).toBe(false);
  });

  test('mesh config: the provider with includeRequestHeadersInCheck (not the deprecated includeHeadersInCheck), fail closed, path normalization', () => {
    expect(authz.meshConfig).toEqual({
      extensionProviders: [{
        name: 'dex-auth-provider',
        envoyExtAuthzHttp: {
          service: 'authservice.istio-system.svc.cluster.local',
          port: 8080,
          includeRequestHeadersInCheck: ['authorization', 'cookie'],
          headersToUpstreamOnAllow: ['kubeflow-userid'],
          failOpen: false,
        },
      }],
      pathNormalization: { normalization: 'DECODE_AND_MERGE_SLASHES' },
    });
    expect(JSON.stringify(authz.meshConfig)).not.toContain('includeHeadersInCheck');
  });
});

describe('options', () => {
  test('no exemption: every request is checked', () => {
    const { docs } = build({ exemptions: undefined });
    expect(docs).toHaveLength(1);
    expect(oneOf(docs, 'AuthorizationPolicy').spec.rules).toEqual([{}]);
    expectValidManifests(docs);
  });

  test('custom paths, anonymous exemption, provider timeout and status', () => {
    const { authz, docs } = build({
      provider: { ...provider, timeout: Duration.seconds(5), statusOnError: 503, headersToDownstreamOnDeny: ['set-cookie'] },
      exemptions: [{ hosts: [MODEL_HOST], paths: ['/v1/models/*', '*/metadata'], allowAnonymous: true }],
    });
    expect(docsOf(docs, 'RequestAuthentication')).toHaveLength(0);
    expect(authz.meshConfig.extensionProviders[0].envoyExtAuthzHttp).toMatchObject({ timeout: '5s', statusOnError: '503', headersToDownstreamOnDeny: ['set-cookie'] });
    expectValidManifests(docs);
  });

  test('a gRPC authorizer is an envoyExtAuthzGrpc provider; HTTP-only header lists are refused for it', () => {
    const grpc = { name: 'opa', service: 'opa.opa.svc.cluster.local', port: 9191, protocol: ExternalAuthorizationProtocol.GRPC, timeout: Duration.seconds(2) };
    const { authz, docs } = build({ provider: grpc });
    expect(authz.meshConfig.extensionProviders).toEqual([{
      name: 'opa', envoyExtAuthzGrpc: { service: 'opa.opa.svc.cluster.local', port: 9191, timeout: '2s', failOpen: false },
    }]);
    expectValidManifests(docs);
    expect(() => build({ provider: { ...grpc, headersToUpstreamOnAllow: ['x-user'] } }))
      .toThrow(/invalid provider.headersToUpstreamOnAllow \["x-user"\]: expected no headersToUpstreamOnAllow with ExternalAuthorizationProtocol.GRPC/);
  });

  test('the unsafe path-only exemption of the seed, when asked for explicitly', () => {
    const { docs } = build({ exemptions: [{ unsafeAllHosts: true, paths: ['/v1*'], jwt: k8sJwt }] });
    const custom = docsOf(docs, 'AuthorizationPolicy').find(d => d.spec.action === 'CUSTOM');
    expect(custom.spec.rules).toEqual([{ to: [{ operation: { notPaths: ['/v1*'] } }] }]);
    expectValidManifests(docs);
  });

  test('the same props give the same YAML in two fresh processes, under two locales', () => {
    const a = synthInFreshProcess('external-authorization');
    expect(a).toContain('action: CUSTOM');
    expect(synthInFreshProcess('external-authorization', SECOND_LOCALE)).toBe(a);
  }, 60_000);
});

describe('bad input', () => {
  const cases: [string, Partial<IstioExternalAuthorizationProps>, string | RegExp][] = [
    ['fails an empty provider name', { provider: { ...provider, name: '' } }, 'IstioExternalAuthorization test/dex: invalid provider.name "": expected a non-empty string'],
    ['fails a provider service that is not a cluster FQDN', { provider: { ...provider, service: 'authservice' } },
      'invalid provider.service "authservice": expected a cluster FQDN "<service>.<namespace>.svc.cluster.local"'],
    ['fails a port out of range', { provider: { ...provider, port: 0 } }, 'invalid provider.port 0: expected a port number'],
    ['fails failOpen without acknowledgement', { provider: { ...provider, failOpen: true } }, 'invalid provider.failOpen true: expected false, or acknowledgeFailOpen: true'],
    ['fails a path pattern with * in the middle', { exemptions: [{ hosts: [MODEL_HOST], paths: ['/v1/*/predict'], jwt: k8sJwt }] },
      'invalid exemptions[0].paths[0] "/v1/*/predict": expected a path starting with "/", with "*" only as the first or last character'],
    ['fails an exemption without hosts', { exemptions: [{ jwt: k8sJwt }] }, /invalid exemptions\[0\].hosts undefined: expected the host names of the exempted apps/],
    ['fails hosts with the unsafe opt-in', { exemptions: [{ unsafeAllHosts: true, hosts: [MODEL_HOST], jwt: k8sJwt }] }, /invalid exemptions\[0\].hosts/],
    ['fails an exemption without JWT or the anonymous opt-in', { exemptions: [{ hosts: [MODEL_HOST] }] }, /invalid exemptions\[0\].jwt undefined: expected JWT options for exempted requests/],
    ['fails an empty issuer', { exemptions: [{ hosts: [MODEL_HOST], jwt: { issuer: '', jwks: JwksSource.fromUri('https://x.example.com/jwks'), audiences: JwtAudiences.of(['a']) } }] }, 'invalid exemptions[0].jwt.issuer "": expected an issuer such as'],
    ['fails a bad header name', { provider: { ...provider, includeRequestHeadersInCheck: ['Authorization Header'] } }, 'invalid provider.includeRequestHeadersInCheck[0] "Authorization Header"'],
    ['fails a bad host', { exemptions: [{ hosts: ['not a host'], jwt: k8sJwt }] }, 'invalid exemptions[0].hosts[0] "not a host"'],
  ];
  test.each(cases)('%s', (_name, props, message) => {
    expect(() => build(props)).toThrow(message);
  });
});

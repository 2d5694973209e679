import { generateKeyPairSync } from 'crypto';
import { ApiObject, Duration, Testing } from 'cdk8s';
import * as YAML from 'yaml';
import {
  Backend, EnvoyBackendProtocol, EnvoyJwtProxy, EnvoyJwtProxyProps, EnvoyServiceType, JsonWebKeySet, JwksSource, JwtAudiences, JwtIssuer,
  TlsCertificate, TlsTermination,
} from '../../src';
import { FIXED_PUBLIC_KEY_PEM } from '../fixtures/public-key';
import { expectValidManifests } from '../schema';
import { docsOf, newChart, oneOf, SECOND_LOCALE, synthInFreshProcess } from '../util';
import { envoyConfigErrors } from './protos';

const pem = FIXED_PUBLIC_KEY_PEM;
const jwks = JsonWebKeySet.fromPublicKeyPem(pem);
const ISSUER = 'https://issuer.example.com';

function build(props: Partial<EnvoyJwtProxyProps> = {}) {
  const chart = newChart('bookstore');
  const proxy = new EnvoyJwtProxy(chart, 'proxy', {
    backend: Backend.fromName('bookstore', 8080),
    jwt: { issuer: ISSUER, audiences: JwtAudiences.of(['bookstore']), jwks: JwksSource.fromKeySet(jwks) },
    tls: TlsTermination.atProxy(TlsCertificate.fromSecret('bookstore-tls')),
    ...props,
  });
  const docs = Testing.synth(chart);
  const config = docsOf(docs, 'ConfigMap').find(d => d.data['envoy.yaml']);
  return { proxy, docs, bootstrap: YAML.parse(config.data['envoy.yaml']) };
}

const hcm = (b: any) => b.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
const filterNames = (b: any) => hcm(b).http_filters.map((f: any) => f.name);
const jwtConfig = (b: any) => hcm(b).http_filters.find((f: any) => f.name === 'envoy.filters.http.jwt_authn').typed_config;

describe('defaults (local JWKS, gRPC backend)', () => {
  const { proxy, docs, bootstrap } = build();

  test('the default child is the Deployment; Kubernetes documents are schema-valid', () => {
    expect(proxy.node.defaultChild).toBe(proxy.deployment);
    expect(ApiObject.of(proxy.deployment).kind).toBe('Deployment');
    expect(docs.map(d => d.kind).sort()).toEqual(['ConfigMap', 'ConfigMap', 'Deployment', 'Service']);
    expectValidManifests(docs);
    expect(docs).toMatchSnapshot();
  });

  test('the bootstrap decodes strictly against Envoy\'s v3 protos, every typed_config included', () => {
    expect(envoyConfigErrors(bootstrap)).toEqual([]);
    expect(JSON.stringify(bootstrap)).toContain('type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication');
  });

  test('every cluster a route or the JWKS provider names exists', () => {
    const clusters = new Set(bootstrap.static_resources.clusters.map((c: any) => c.name));
    const routeClusters = hcm(bootstrap).route_config.virtual_hosts.flatMap((v: any) => v.routes.map((r: any) => r.route?.cluster)).filter(Boolean);
    expect(routeClusters).toEqual(['backend']);
    routeClusters.forEach((c: string) => expect(clusters.has(c)).toBe(true));
    const remote = build({ jwt: { issuer: ISSUER, jwks: JwksSource.fromUri('https://issuer.example.com/jwks'), audiences: JwtAudiences.of(['bookstore']) } }).bootstrap;
    const jwksCluster = jwtConfig(remote).providers.issuer.remote_jwks.http_uri.cluster;
    expect(remote.static_resources.clusters.map((c: any) => c.name)).toContain(jwksCluster);
  });

  test('the exposed bootstrap is the one in the ConfigMap, and a copy', () => {
    expect(proxy.bootstrap).toEqual(bootstrap);
    proxy.bootstrap.admin = 'changed';
    expect(proxy.bootstrap.admin).toEqual(bootstrap.admin);
  });

  test('admin listens on loopback only; a separate health listener answers /ready', () => {
    expect(bootstrap.admin).toEqual({ address: { socket_address: { address: '127.0.0.1', port_value: 9901 } } });
    const health = bootstrap.static_resources.listeners[1];
    expect(health.address.socket_address.port_value).toBe(8001);
    expect(health.filter_chains[0].filters[0].typed_config.http_filters[0].typed_config).toMatchObject({ pass_through_mode: false });
  });

  test('TLS listener with ALPN h2 and http/1.1, TLS 1.2 minimum, certificate from the mounted Secret', () => {
    const ts = bootstrap.static_resources.listeners[0].filter_chains[0].transport_socket.typed_config;
    expect(ts['@type']).toBe('type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext');
    expect(ts.common_tls_context.alpn_protocols).toEqual(['h2', 'http/1.1']);
    expect(ts.common_tls_context.tls_params).toEqual({ tls_minimum_protocol_version: 'TLSv1_2' });
    expect(ts.common_tls_context.tls_certificates).toEqual([{ certificate_chain: { filename: '/etc/envoy/tls/tls.crt' }, private_key: { filename: '/etc/envoy/tls/tls.key' } }]);
    expect(bootstrap.static_resources.listeners[0].address.socket_address).toEqual({ address: '0.0.0.0', port_value: 8443 });
  });

  test('filters: grpc_web, jwt_authn, router last; path normalization on', () => {
    expect(filterNames(bootstrap)).toEqual(['envoy.filters.http.grpc_web', 'envoy.filters.http.jwt_authn', 'envoy.filters.http.router']);
    expect(hcm(bootstrap)).toMatchObject({ normalize_path: true, merge_slashes: true, use_remote_address: true, codec_type: 'AUTO' });
  });

  test('jwt_authn: issuer, audiences, expiration required, Bearer header, token not forwarded, local JWKS, health path open', () => {
    const j = jwtConfig(bootstrap);
    expect(j.providers.issuer).toEqual({
      issuer: ISSUER,
      audiences: ['bookstore'],
      require_expiration: true,
      from_headers: [{ name: 'Authorization', value_prefix: 'Bearer ' }],
      forward: false,
      local_jwks: { filename: '/etc/envoy/jwks/jwks.json' },
    });
    expect(j.rules).toEqual([
      // a path parameter or an escape left after normalization needs a token, on open paths too
      { match: { safe_regex: { regex: '.*[;%].*' } }, requires: { provider_name: 'issuer' } },
      { match: { prefix: '/grpc.health.v1.Health/' } },
      { match: { prefix: '/' }, requires: { provider_name: 'issuer' } },
    ]);
    expect(j.bypass_cors_preflight).toBe(false);
    expect(oneOf(docsOf(docs, 'ConfigMap').filter(d => d.data['jwks.json']), 'ConfigMap').data['jwks.json']).toBe(jwks.toJson());
  });

  test('upstream: STRICT_DNS round robin to the Service FQDN over HTTP/2; no route timeout', () => {
    const cluster = bootstrap.static_resources.clusters[0];
    expect(cluster).toMatchObject({ name: 'backend', type: 'STRICT_DNS', lb_policy: 'ROUND_ROBIN', dns_lookup_family: 'V4_ONLY' });
    expect(cluster.typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'].explicit_http_config).toEqual({ http2_protocol_options: {} });
    expect(cluster.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address).toEqual({ address: 'bookstore.bookstore.svc.cluster.local', port_value: 8080 });
    const route = hcm(bootstrap).route_config.virtual_hosts[0].routes[0].route;
    expect(route).toEqual({ cluster: 'backend', timeout: '0s', idle_timeout: '0s', max_stream_duration: { grpc_timeout_header_max: '0s' } });
  });

  test('edge limits (Envoy\'s edge-proxy guide) that cut no long call: buffers, header timeout, HTTP/2 limits, overload manager', () => {
    const listener = bootstrap.static_resources.listeners[0];
    expect(listener.per_connection_buffer_limit_bytes).toBe(32768);
    expect(listener.filter_chains[0].transport_socket_connect_timeout).toBe('10s');
    expect(hcm(bootstrap)).toMatchObject({
      use_remote_address: true,
      normalize_path: true,
      merge_slashes: true,
      path_with_escaped_slashes_action: 'UNESCAPE_AND_REDIRECT',
      request_headers_timeout: '10s',
      stream_idle_timeout: '300s',
      common_http_protocol_options: { idle_timeout: '3600s', headers_with_underscores_action: 'DROP_HEADER' },
      http2_protocol_options: { max_concurrent_streams: 100, initial_stream_window_size: 65536, initial_connection_window_size: 1048576 },
    });
    expect(hcm(bootstrap).request_timeout).toBeUndefined();
    expect(bootstrap.static_resources.clusters[0].per_connection_buffer_limit_bytes).toBe(32768);
    // 80% of the 512Mi memory limit, then shrink at 95% and stop accepting requests at 98%
    expect(bootstrap.overload_manager.resource_monitors).toEqual([
      { name: 'envoy.resource_monitors.global_downstream_max_connections', typed_config: expect.objectContaining({ max_active_downstream_connections: 10000 }) },
      { name: 'envoy.resource_monitors.fixed_heap', typed_config: expect.objectContaining({ max_heap_size_bytes: Math.floor(512 * 1024 * 1024 * 0.8) }) },
    ]);
    expect(bootstrap.overload_manager.actions.map((a: any) => [a.name, a.triggers[0].threshold.value]))
      .toEqual([['envoy.overload_actions.shrink_heap', 0.95], ['envoy.overload_actions.stop_accepting_requests', 0.98]]);
  });

  test('the Deployment runs a pinned Envoy as non-root, read-only, without capabilities, with probes and resources', () => {
    const d = oneOf(docs, 'Deployment');
    expect(d.spec.replicas).toBe(2);
    const pod = d.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 101, runAsGroup: 101, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.automountServiceAccountToken).toBe(false);
    const c = pod.containers[0];
    expect(c.image).toBe('envoyproxy/envoy:v1.36.2');
    expect(c.command).toEqual(['envoy']);
    expect(c.args).toEqual(['-c', '/etc/envoy/envoy.yaml', '--log-level', 'info']);
    expect(c.securityContext).toMatchObject({
      runAsNonRoot: true, runAsUser: 101, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, privileged: false, capabilities: { drop: ['ALL'] },
    });
    expect(c.resources).toEqual({ limits: { cpu: '1', memory: '512Mi' }, requests: { cpu: '100m', memory: '128Mi' } });
    expect(c.readinessProbe.httpGet).toMatchObject({ path: '/ready', port: 8001 });
    expect(c.livenessProbe.tcpSocket).toMatchObject({ port: 8001 });
    const mounts = Object.fromEntries(c.volumeMounts.map((m: any) => [m.mountPath, m.readOnly ?? false]));
    expect(mounts).toEqual({ '/etc/envoy': true, '/etc/envoy/jwks': true, '/etc/envoy/tls': true, '/tmp': false });
    const tlsVolume = pod.volumes.find((v: any) => v.secret);
    expect(tlsVolume.secret.secretName).toBe('bookstore-tls');
  });

  test('a ClusterIP Service on the proxy port', () => {
    const svc = oneOf(docs, 'Service');
    expect(svc.spec.type).toBe('ClusterIP');
    expect(svc.spec.ports).toEqual([{ name: 'https', port: 8443, targetPort: 8443 }]);
  });
});

describe('options', () => {
  test('remote JWKS over https with its own TLS cluster and cache duration; strict proto check', () => {
    const { bootstrap, docs } = build({
      jwt: { issuer: ISSUER, jwks: JwksSource.fromUri('https://issuer.example.com/.well-known/jwks.json'), audiences: JwtAudiences.acceptAny() },
      jwksCacheDuration: Duration.minutes(10),
    });
    const provider = jwtConfig(bootstrap).providers.issuer;
    expect(provider.remote_jwks).toEqual({ http_uri: { uri: 'https://issuer.example.com/.well-known/jwks.json', cluster: 'jwks', timeout: '5s' }, cache_duration: '600s' });
    // JwtAudiences.acceptAny(): the provider lists none, so Envoy checks none
    expect(provider.audiences).toBeUndefined();
    const cluster = bootstrap.static_resources.clusters.find((c: any) => c.name === 'jwks');
    expect(cluster.transport_socket.typed_config).toMatchObject({ sni: 'issuer.example.com' });
    expect(cluster.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address).toEqual({ address: 'issuer.example.com', port_value: 443 });
    expect(docsOf(docs, 'ConfigMap')).toHaveLength(1);
    expect(envoyConfigErrors(bootstrap)).toEqual([]);
    expectValidManifests(docs);
  });

  test('CORS first, every preflight answered by the CORS filter, none bypasses JWT; strict proto check', () => {
    const { bootstrap } = build({ cors: { allowOrigins: ['https://app.example.com'] } });
    expect(filterNames(bootstrap)).toEqual(['envoy.filters.http.cors', 'envoy.filters.http.grpc_web', 'envoy.filters.http.jwt_authn', 'envoy.filters.http.router']);
    expect(jwtConfig(bootstrap).bypass_cors_preflight).toBe(false);
    const policy = hcm(bootstrap).route_config.virtual_hosts[0].typed_per_filter_config['envoy.filters.http.cors'];
    expect(policy).toMatchObject({
      allow_origin_string_match: [{ exact: 'https://app.example.com' }],
      expose_headers: 'grpc-message,grpc-status',
      max_age: '86400',
      forward_not_matching_preflights: false,
    });
    expect(envoyConfigErrors(bootstrap)).toEqual([]);
  });

  test('HTTP/1.1 backend, no gRPC-Web, route timeout, LoadBalancer, port, replicas, extra open paths', () => {
    const { bootstrap, docs } = build({
      backendProtocol: EnvoyBackendProtocol.HTTP1,
      grpcWeb: false,
      timeout: Duration.minutes(5),
      serviceType: EnvoyServiceType.LOAD_BALANCER,
      port: 443,
      replicas: 3,
      unauthenticatedPaths: ['/healthz', '/grpc.health.v1.Health/'],
    });
    expect(filterNames(bootstrap)).toEqual(['envoy.filters.http.jwt_authn', 'envoy.filters.http.router']);
    expect(bootstrap.static_resources.clusters[0].typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'].explicit_http_config).toEqual({ http_protocol_options: {} });
    expect(hcm(bootstrap).route_config.virtual_hosts[0].routes[0].route).toEqual({ cluster: 'backend', timeout: '300s', idle_timeout: '300s' });
    // "/healthz" is a whole segment: it does not open "/healthz-admin"
    expect(jwtConfig(bootstrap).rules.map((r: any) => r.match)).toEqual([
      { safe_regex: { regex: '.*[;%].*' } }, { prefix: '/grpc.health.v1.Health/' }, { path_separated_prefix: '/healthz' }, { prefix: '/' },
    ]);
    expect(oneOf(docs, 'Service').spec.type).toBe('LoadBalancer');
    expect(oneOf(docs, 'Deployment').spec.replicas).toBe(3);
    expect(envoyConfigErrors(bootstrap)).toEqual([]);
    expectValidManifests(docs);
  });

  test('servicePort: clients call the Service on one port, Envoy listens on another (seed 002: 9080 to 8000)', () => {
    const { bootstrap, docs } = build({ port: 8000, servicePort: 9080 });
    expect(oneOf(docs, 'Service').spec.ports).toEqual([{ name: 'https', port: 9080, targetPort: 8000 }]);
    const https = bootstrap.static_resources.listeners.find((l: any) => l.name === 'https');
    expect(https.address.socket_address.port_value).toBe(8000);
    expect(oneOf(docs, 'Deployment').spec.template.spec.containers[0].ports).toContainEqual(expect.objectContaining({ containerPort: 8000, name: 'https' }));
    expectValidManifests(docs);
  });

  test('the strict check catches a wrong field, a wrong enum and an unknown @type', () => {
    const { bootstrap } = build();
    const broken = JSON.parse(JSON.stringify(bootstrap));
    broken.static_resources.clusters[0].lb_polcy = 'ROUND_ROBIN';
    broken.static_resources.clusters[0].type = 'STRICTER_DNS';
    hcm(broken).http_filters[0].typed_config['@type'] = 'type.googleapis.com/envoy.extensions.filters.http.grpc_web.v3.GrpcWebb';
    jwtConfig(broken).providers.issuer.require_expiry = true;
    expect(envoyConfigErrors(broken)).toEqual([
      expect.stringMatching(/http_filters\/0\/typed_config: unknown @type .*GrpcWebb/),
      expect.stringMatching(/providers\/issuer\/require_expiry: no field "require_expiry" in envoy.extensions.filters.http.jwt_authn.v3.JwtProvider/),
      expect.stringMatching(/clusters\/0\/type: "STRICTER_DNS" is not a value of enum/),
      expect.stringMatching(/clusters\/0\/lb_polcy: no field "lb_polcy"/),
    ]);
  });

  test('the same props give the same YAML in two fresh processes, under two locales', () => {
    const a = synthInFreshProcess('envoy');
    expect(a).toContain('envoy.yaml');
    expect(synthInFreshProcess('envoy', SECOND_LOCALE)).toBe(a);
  }, 60_000);
});

describe('bad input', () => {
  const JWKS = JwksSource.fromKeySet(jwks);
  const AUDIENCES = JwtAudiences.of(['bookstore']);
  // A function where the bad value fails in its factory (JwksSource.fromUri, TlsCertificate.fromSecret).
  const cases: [string, Partial<EnvoyJwtProxyProps> | (() => Partial<EnvoyJwtProxyProps>), string | RegExp][] = [
    ['fails an empty issuer', { jwt: { issuer: '', jwks: JWKS, audiences: AUDIENCES } }, 'EnvoyJwtProxy test/proxy: invalid jwt.issuer "": expected an issuer such as'],
    // a caller without the types (JavaScript) can leave the audiences out
    ['fails no audiences', { jwt: { issuer: ISSUER, jwks: JWKS } as JwtIssuer },
      /invalid jwt.audiences undefined: expected .*JwtAudiences\.of\(.*the audiences \(aud claim\) tokens must be for.* \(JwtAudiences\.acceptAny\(\) if that is intended\)/],
    ['fails allowDirectBackendAccess given as a string', { allowDirectBackendAccess: 'false' as any }, 'invalid allowDirectBackendAccess "false": expected true or false'],
    // a caller without the types (JavaScript) can leave the key source out
    ['fails no JWKS source', { jwt: { issuer: ISSUER, audiences: AUDIENCES } as JwtIssuer },
      'invalid jwt.jwks undefined: expected a JwksSource, from JwksSource.fromKeySet(), JwksSource.fromUri() (required)'],
    ['fails a JWKS URI that is not https', () => ({ jwt: { issuer: ISSUER, jwks: JwksSource.fromUri('http://x.example.com/jwks'), audiences: AUDIENCES } }),
      'JwksSource.fromUri: invalid uri "http://x.example.com/jwks": expected an https:// URL'],
    ['fails a port out of range', { port: 70000 }, 'invalid port 70000: expected a port number'],
    ['fails the admin port', { port: 9901 }, 'invalid port 9901: expected a port other than 9901 (admin) and 8001 (health)'],
    ['fails a servicePort out of range', { servicePort: 0 }, 'invalid servicePort 0: expected a port number'],
    ['fails replicas < 1', { replicas: 0 }, 'invalid replicas 0: expected an integer from 1 to 1000'],
    ['fails an invalid image reference', { image: 'Envoy Proxy:latest' }, 'invalid image "Envoy Proxy:latest": expected an image reference'],
    ['fails an unauthenticated path not starting with /', { unauthenticatedPaths: ['healthz'] }, 'invalid unauthenticatedPaths[0] "healthz"'],
    ['fails "/" as unauthenticated path', { unauthenticatedPaths: ['/'] }, /not "\/" itself, which would turn authentication off/],
    ['fails a bad TLS secret name', () => ({ tls: TlsTermination.atProxy(TlsCertificate.fromSecret('Bad_Name')) }),
      'TlsCertificate.fromSecret: invalid secretName "Bad_Name"'],
    ['fails a CORS origin with a path', { cors: { allowOrigins: ['https://app.example.com/x'] } }, 'invalid cors.allowOrigins[0] "https://app.example.com/x"'],
  ];
  test.each(cases)('%s', (_name, props, message) => {
    expect(() => build(typeof props === 'function' ? props() : props)).toThrow(message);
  });
  test('fails a private key, an unsupported key type and a duplicate kid (JsonWebKeySet)', () => {
    const priv = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(() => JsonWebKeySet.fromPublicKeyPem(priv)).toThrow(/expected a public key, not a private key/);
    expect(() => JsonWebKeySet.fromPublicKeyPem(generateKeyPairSync('ed448').publicKey.export({ type: 'spki', format: 'pem' }).toString())).toThrow(/Ed448/);
    const set = JsonWebKeySet.fromPublicKeyPem(pem, { kid: 'k' });
    expect(() => set.addPublicKeyPem(pem, { kid: 'k' })).toThrow(/invalid options.kid "k"/);
  });
});

/**
 * Builds the Envoy v3 bootstrap of `EnvoyJwtProxy`: a plain, deterministic object with
 * Envoy's own (snake_case) field names, ready to be written as YAML or JSON.
 */

/** Where the files the bootstrap refers to are mounted in the proxy container. */
export const ENVOY_PATHS = {
  config: '/etc/envoy',
  jwks: '/etc/envoy/jwks',
  tls: '/etc/envoy/tls',
  caBundle: '/etc/ssl/certs/ca-certificates.crt',
};

/** The admin interface: loopback only. */
export const ADMIN_PORT = 9901;
/** The listener answering the kubelet's probes. */
export const HEALTH_PORT = 8001;

const T = 'type.googleapis.com/envoy.extensions';

/** @internal What the bootstrap is built from, all validated by the construct. */
export interface BootstrapInput {
  readonly port: number;
  readonly backendHost: string;
  readonly backendPort: number;
  readonly http2Backend: boolean;
  readonly issuer: string;
  readonly audiences?: string[];
  readonly localJwks: boolean;
  readonly jwksUri?: URL;
  readonly jwksCacheSeconds: number;
  readonly forwardToken: boolean;
  readonly unauthenticatedPrefixes: string[];
  readonly grpcWeb: boolean;
  readonly cors?: {
    readonly allowOrigins: string[];
    readonly allowMethods: string[];
    readonly allowHeaders: string[];
    readonly exposeHeaders: string[];
    readonly maxAgeSeconds: number;
  };
  readonly routeTimeoutSeconds?: number;
  /** The container's memory limit: the overload manager keeps the heap below it. */
  readonly memoryLimitBytes?: number;
}

/** Connections one proxy accepts at most (the overload manager refuses more). */
export const MAX_CONNECTIONS = 10000;
/** Buffer limit per connection, as Envoy's edge-proxy guide recommends. */
const BUFFER_LIMIT = 32768;

const PROVIDER = 'issuer';

function socket(address: string, port: number) {
  return { socket_address: { address, port_value: port } };
}

function jwtAuthn(input: BootstrapInput) {
  const provider: any = {
    issuer: input.issuer,
    audiences: input.audiences,
    require_expiration: true,
    from_headers: [{ name: 'Authorization', value_prefix: 'Bearer ' }],
    forward: input.forwardToken,
  };
  if (input.localJwks) {
    provider.local_jwks = { filename: `${ENVOY_PATHS.jwks}/jwks.json` };
  } else {
    provider.remote_jwks = {
      http_uri: { uri: input.jwksUri!.toString(), cluster: 'jwks', timeout: '5s' },
      cache_duration: `${input.jwksCacheSeconds}s`,
    };
  }
  return {
    '@type': `${T}.filters.http.jwt_authn.v3.JwtAuthentication`,
    'providers': { [PROVIDER]: provider },
    // The first matching rule wins: listed prefixes need no token, everything else does. A
    // prefix is a whole path segment: `/public` covers `/public` and `/public/...`, not
    // `/public-admin` (`path_separated_prefix`; a prefix ending in "/" is one already).
    // A path with a `;` parameter or a percent-escape left after normalization needs a token
    // wherever it points: backends that read `/open/..;/admin` as `/admin` (Java servlet
    // containers) or decode `%3B` would otherwise serve other paths without one.
    'rules': [
      ...(input.unauthenticatedPrefixes.length > 0 ? [{ match: { safe_regex: { regex: '.*[;%].*' } }, requires: { provider_name: PROVIDER } }] : []),
      ...input.unauthenticatedPrefixes.map(prefix => ({ match: prefix.endsWith('/') ? { prefix } : { path_separated_prefix: prefix } })),
      { match: { prefix: '/' }, requires: { provider_name: PROVIDER } },
    ],
    // The CORS filter answers every preflight itself (forward_not_matching_preflights: false):
    // none reaches this filter, and one that did would need a token.
    'bypass_cors_preflight': false,
  };
}

function httpFilters(input: BootstrapInput) {
  const filters: any[] = [];
  if (input.cors) {
    filters.push({ name: 'envoy.filters.http.cors', typed_config: { '@type': `${T}.filters.http.cors.v3.Cors` } });
  }
  if (input.grpcWeb) {
    filters.push({ name: 'envoy.filters.http.grpc_web', typed_config: { '@type': `${T}.filters.http.grpc_web.v3.GrpcWeb` } });
  }
  filters.push({ name: 'envoy.filters.http.jwt_authn', typed_config: jwtAuthn(input) });
  filters.push({ name: 'envoy.filters.http.router', typed_config: { '@type': `${T}.filters.http.router.v3.Router` } });
  return filters;
}

function tlsCluster(name: string, host: string, port: number) {
  return {
    name,
    type: 'LOGICAL_DNS',
    dns_lookup_family: 'V4_ONLY',
    connect_timeout: '5s',
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: socket(host, port) } }] }] },
    transport_socket: {
      name: 'envoy.transport_sockets.tls',
      typed_config: {
        '@type': `${T}.transport_sockets.tls.v3.UpstreamTlsContext`,
        'sni': host,
        'common_tls_context': {
          validation_context: {
            trusted_ca: { filename: ENVOY_PATHS.caBundle },
            match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { exact: host } }],
          },
        },
      },
    },
  };
}

/**
 * Refuse new connections above `MAX_CONNECTIONS` and, with a known memory limit, shrink the heap
 * at 95% and stop accepting requests at 98% of 80% of it (the rest is for the process itself).
 */
function overloadManager(memoryLimitBytes: number | undefined) {
  const monitors: any[] = [{
    name: 'envoy.resource_monitors.global_downstream_max_connections',
    typed_config: {
      '@type': `${T}.resource_monitors.downstream_connections.v3.DownstreamConnectionsConfig`,
      'max_active_downstream_connections': MAX_CONNECTIONS,
    },
  }];
  const actions: any[] = [];
  if (memoryLimitBytes !== undefined) {
    monitors.push({
      name: 'envoy.resource_monitors.fixed_heap',
      typed_config: {
        '@type': `${T}.resource_monitors.fixed_heap.v3.FixedHeapConfig`,
        'max_heap_size_bytes': Math.floor(memoryLimitBytes * 0.8),
      },
    });
    actions.push(
      { name: 'envoy.overload_actions.shrink_heap', triggers: [{ name: 'envoy.resource_monitors.fixed_heap', threshold: { value: 0.95 } }] },
      { name: 'envoy.overload_actions.stop_accepting_requests', triggers: [{ name: 'envoy.resource_monitors.fixed_heap', threshold: { value: 0.98 } }] },
    );
  }
  return { refresh_interval: '0.25s', resource_monitors: monitors, actions: actions.length > 0 ? actions : undefined };
}

/** The bootstrap object. */
export function buildBootstrap(input: BootstrapInput): any {
  const route: any = {
    cluster: 'backend',
    // 0s: no route timeout (Envoy's default of 15 s cuts long inference calls), and no idle
    // timeout once the request is routed (a model may compute for minutes without sending).
    timeout: `${input.routeTimeoutSeconds ?? 0}s`,
    idle_timeout: `${input.routeTimeoutSeconds ?? 0}s`,
  };
  if (input.http2Backend) {
    route.max_stream_duration = { grpc_timeout_header_max: '0s' };
  }
  const virtualHost: any = {
    name: 'backend',
    domains: ['*'],
    routes: [{ match: { prefix: '/' }, route }],
  };
  if (input.cors) {
    virtualHost.typed_per_filter_config = {
      'envoy.filters.http.cors': {
        '@type': `${T}.filters.http.cors.v3.CorsPolicy`,
        'allow_origin_string_match': input.cors.allowOrigins.map(exact => ({ exact })),
        'allow_methods': input.cors.allowMethods.join(','),
        'allow_headers': input.cors.allowHeaders.join(','),
        'expose_headers': input.cors.exposeHeaders.join(','),
        'max_age': String(input.cors.maxAgeSeconds),
        // Answer preflights from other origins here too (without CORS headers): by default Envoy
        // forwards them, and jwt_authn lets preflights through.
        'forward_not_matching_preflights': false,
      },
    };
  }
  const clusters: any[] = [{
    name: 'backend',
    type: 'STRICT_DNS',
    lb_policy: 'ROUND_ROBIN',
    dns_lookup_family: 'V4_ONLY',
    connect_timeout: '5s',
    per_connection_buffer_limit_bytes: BUFFER_LIMIT,
    typed_extension_protocol_options: {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
        '@type': `${T}.upstreams.http.v3.HttpProtocolOptions`,
        'explicit_http_config': input.http2Backend ? { http2_protocol_options: {} } : { http_protocol_options: {} },
      },
    },
    load_assignment: {
      cluster_name: 'backend',
      endpoints: [{ lb_endpoints: [{ endpoint: { address: socket(input.backendHost, input.backendPort) } }] }],
    },
  }];
  if (!input.localJwks) {
    const url = input.jwksUri!;
    clusters.push(tlsCluster('jwks', url.hostname, url.port ? Number(url.port) : 443));
  }
  return {
    admin: { address: socket('127.0.0.1', ADMIN_PORT) },
    overload_manager: overloadManager(input.memoryLimitBytes),
    static_resources: {
      listeners: [
        {
          name: 'https',
          address: socket('0.0.0.0', input.port),
          per_connection_buffer_limit_bytes: BUFFER_LIMIT,
          filter_chains: [{
            // A client that does not finish the TLS handshake in time is dropped.
            transport_socket_connect_timeout: '10s',
            transport_socket: {
              name: 'envoy.transport_sockets.tls',
              typed_config: {
                '@type': `${T}.transport_sockets.tls.v3.DownstreamTlsContext`,
                'common_tls_context': {
                  alpn_protocols: ['h2', 'http/1.1'],
                  tls_params: { tls_minimum_protocol_version: 'TLSv1_2' },
                  tls_certificates: [{
                    certificate_chain: { filename: `${ENVOY_PATHS.tls}/tls.crt` },
                    private_key: { filename: `${ENVOY_PATHS.tls}/tls.key` },
                  }],
                },
              },
            },
            filters: [{
              name: 'envoy.filters.network.http_connection_manager',
              typed_config: {
                '@type': `${T}.filters.network.http_connection_manager.v3.HttpConnectionManager`,
                'stat_prefix': 'ingress_https',
                'codec_type': 'AUTO',
                'use_remote_address': true,
                'normalize_path': true,
                'merge_slashes': true,
                'path_with_escaped_slashes_action': 'UNESCAPE_AND_REDIRECT',
                // Edge-proxy limits (Envoy's "Configuring Envoy as an edge proxy"), none of which
                // cuts a long call: headers must arrive within 10 s; idle connections close after
                // an hour; a stream idle before it is routed closes after 5 minutes.
                'request_headers_timeout': '10s',
                'stream_idle_timeout': '300s',
                'common_http_protocol_options': { idle_timeout: '3600s', headers_with_underscores_action: 'DROP_HEADER' },
                'http2_protocol_options': {
                  max_concurrent_streams: 100,
                  initial_stream_window_size: 65536,
                  initial_connection_window_size: 1048576,
                },
                'route_config': { name: 'backend', virtual_hosts: [virtualHost] },
                'http_filters': httpFilters(input),
              },
            }],
          }],
        },
        {
          name: 'health',
          address: socket('0.0.0.0', HEALTH_PORT),
          filter_chains: [{
            filters: [{
              name: 'envoy.filters.network.http_connection_manager',
              typed_config: {
                '@type': `${T}.filters.network.http_connection_manager.v3.HttpConnectionManager`,
                'stat_prefix': 'health',
                'codec_type': 'AUTO',
                'route_config': {
                  name: 'health',
                  virtual_hosts: [{ name: 'health', domains: ['*'], routes: [{ match: { prefix: '/' }, direct_response: { status: 404 } }] }],
                },
                'http_filters': [
                  {
                    name: 'envoy.filters.http.health_check',
                    typed_config: {
                      '@type': `${T}.filters.http.health_check.v3.HealthCheck`,
                      'pass_through_mode': false,
                      'headers': [{ name: ':path', string_match: { exact: '/ready' } }],
                    },
                  },
                  { name: 'envoy.filters.http.router', typed_config: { '@type': `${T}.filters.http.router.v3.Router` } },
                ],
              },
            }],
          }],
        },
      ],
      clusters,
    },
  };
}

/**
 * A model of how Envoy handles a request with the bootstrap EnvoyJwtProxy writes, for the attack
 * tests. Written from envoyproxy/envoy v1.36.4 (bad8280de85c25b147a90c1d9b8a8c67a13e7134):
 *
 * - HCM (source/common/http/conn_manager_utility.cc `maybeNormalizePath`): a `#` in the path is
 *   400; then `path_with_escaped_slashes_action` (`%2F`, `%5C`: REJECT_REQUEST 400,
 *   UNESCAPE_AND_REDIRECT unescapes and answers 307 to the normalized path, or 400 for gRPC),
 *   then `normalize_path` (dot segments, backslashes, unreserved escapes; `%2F` kept), then
 *   `merge_slashes`; every filter and the router see the result;
 * - cors (source/extensions/filters/http/cors/cors_filter.cc `decodeHeaders`): a preflight
 *   (OPTIONS with Origin and Access-Control-Request-Method) from an allowed origin is answered
 *   200 locally; from another origin it is passed on unless `forward_not_matching_preflights`
 *   is false (default true), then answered locally too;
 * - jwt_authn (source/extensions/filters/http/jwt_authn/filter.cc, filter_config.h, matcher.cc):
 *   with `bypass_cors_preflight`, a preflight passes unverified; otherwise the first rule whose
 *   match (`prefix`, `path`, `path_separated_prefix`, `safe_regex` on the whole path; query
 *   removed; case-sensitive) fits the
 *   path decides; a rule without `requires`, or no rule at all, passes unverified; a failed or
 *   missing token is 401; `forward: false` removes the token;
 * - router: virtual host by domain (`*` here), first route whose prefix fits, its cluster's
 *   endpoint is the backend.
 */
import { normalizePath } from './hcm';
import { bearerToken, JwtProviderModel, verifyJwt } from './jwt';
import { answered, lowerHeaders, Outcome } from './outcome';
import { AttackRequest } from './requests';

export interface EnvoyModelOptions {
  /** The JWKS file's content (`local_jwks.filename`). */
  readonly localJwks?: { keys: any[] };
  /** Public keys a remote JWKS URI serves. */
  readonly jwksFor?: (uri: string) => { keys: any[] };
}

/** Envoy with `bootstrap`, listening on its https listener. */
export class EnvoyModel {
  private readonly hcm: any;
  /** Whether the listener ends TLS (then it takes https only, else http only). */
  public readonly tls: boolean;

  /**
   * The listener `listener` (by default the one named `https`, else the first): its first filter
   * chain's HTTP connection manager.
   */
  constructor(private readonly bootstrap: any, private readonly opts: EnvoyModelOptions = {}, listenerName?: string) {
    const listeners: any[] = bootstrap.static_resources.listeners;
    const listener = listenerName !== undefined ? listeners.find((l: any) => l.name === listenerName)
      : listeners.find((l: any) => l.name === 'https') ?? listeners[0];
    const chain = listener.filter_chains[0];
    this.hcm = chain.filters[0].typed_config;
    if (!String(this.hcm?.['@type'] ?? '').endsWith('HttpConnectionManager')) {
      throw new Error(`the model knows only a v3 HttpConnectionManager as the first filter of listener ${listener.name}`);
    }
    this.tls = chain.transport_socket !== undefined;
  }

  public async handle(req: AttackRequest): Promise<Outcome> {
    if ((req.scheme === 'https') !== this.tls) {
      return answered(0, this.tls ? 'the listener speaks TLS only' : 'the listener speaks plain HTTP only');
    }
    const headers = lowerHeaders(req.headers);
    const grpc = (headers['content-type'] ?? '').startsWith('application/grpc') && !(headers['content-type'] ?? '').startsWith('application/grpc-web');
    const path = normalizePath(req.path, {
      normalizePath: this.hcm.normalize_path === true,
      mergeSlashes: this.hcm.merge_slashes === true,
      escapedSlashes: this.hcm.path_with_escaped_slashes_action ?? 'KEEP_UNCHANGED',
    }, grpc);
    if (typeof path !== 'string') {
      return path;
    }
    const vhost = this.hcm.route_config.virtual_hosts.find((v: any) => v.domains.some((d: string) => d === '*' || d.toLowerCase() === req.authority.toLowerCase()));
    const route = vhost?.routes.find((r: any) => routeMatches(r.match, path));
    const preflight = req.method === 'OPTIONS' && !!headers.origin && !!headers['access-control-request-method'];

    for (const filter of this.hcm.http_filters) {
      const c = filter.typed_config;
      if (filter.name === 'envoy.filters.http.cors') {
        const policy = route?.typed_per_filter_config?.['envoy.filters.http.cors'] ?? vhost?.typed_per_filter_config?.['envoy.filters.http.cors'];
        if (route && policy && preflight) {
          const allowed = (policy.allow_origin_string_match ?? []).some((m: any) => m.exact === headers.origin);
          if (allowed || policy.forward_not_matching_preflights === false) {
            return answered(200, `cors: preflight answered locally (${allowed ? 'allowed' : 'not allowed'} origin)`);
          }
        }
      } else if (filter.name === 'envoy.filters.http.jwt_authn') {
        if (c.bypass_cors_preflight && preflight) {
          continue;
        }
        const rule = (c.rules ?? []).find((r: any) => routeMatches(r.match, path));
        if (!rule || !rule.requires) {
          continue;
        }
        // requires_any (config.proto JwtRequirementOrList): a missing token passes with an
        // allow_missing (or allow_missing_or_failed) member; otherwise its first provider decides here.
        const any: any[] | undefined = rule.requires.requires_any?.requirements;
        const allowsMissing = any?.some(x => x.allow_missing !== undefined || x.allow_missing_or_failed !== undefined) === true;
        if (allowsMissing && bearerToken(headers) === undefined) {
          continue;
        }
        const providerName = rule.requires.provider_name ?? any?.find(x => x.provider_name !== undefined)?.provider_name;
        if (providerName === undefined) {
          throw new Error(`the model does not know jwt_authn requirement ${JSON.stringify(rule.requires)}`);
        }
        const p = c.providers[providerName];
        const provider: JwtProviderModel = {
          issuer: p.issuer,
          audiences: p.audiences,
          requireExpiration: p.require_expiration === true,
          jwks: p.local_jwks ? this.opts.localJwks ?? { keys: [] } : this.opts.jwksFor?.(p.remote_jwks.http_uri.uri) ?? { keys: [] },
        };
        // from_headers [{ name: Authorization, value_prefix: "Bearer " }]
        const outcome = await verifyJwt(headers, [provider], path);
        if (outcome.kind !== 'valid') {
          return answered(401, `jwt_authn: ${outcome.kind === 'missing' ? 'Jwt is missing' : outcome.reason}`);
        }
        if (!p.forward) {
          delete headers.authorization;
        }
      } else if (filter.name !== 'envoy.filters.http.grpc_web' && filter.name !== 'envoy.filters.http.router') {
        throw new Error(`the model does not know filter ${filter.name}`);
      }
    }
    if (!route) {
      return answered(404, 'no route');
    }
    const cluster = this.bootstrap.static_resources.clusters.find((cl: any) => cl.name === route.route.cluster);
    const address = cluster.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address;
    const [name, ns] = String(address.address).split('.');
    return { status: 200, backend: `${ns}/${name}:${address.port_value}`, path, headers, why: `route to cluster ${cluster.name}` };
  }
}

/** RouteMatch path specifiers as jwt_authn's matcher.cc and the router apply them. */
function routeMatches(match: any, rawPath: string): boolean {
  const path = rawPath.split('?')[0];
  if (match.prefix !== undefined) {
    return path.startsWith(match.prefix);
  }
  if (match.path !== undefined) {
    return path === match.path;
  }
  if (match.safe_regex !== undefined) {
    return new RegExp(`^(?:${match.safe_regex.regex})$`).test(path);
  }
  if (match.path_separated_prefix !== undefined) {
    const p = match.path_separated_prefix;
    return path.startsWith(p) && (path.length === p.length || path[p.length] === '/');
  }
  throw new Error(`the model does not know route match ${JSON.stringify(match)}`);
}

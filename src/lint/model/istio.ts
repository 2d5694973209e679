/**
 * A model of how an Istio ingress gateway handles a request, for the attack tests. Written from
 * istio/istio 1.30.3 (56df41f63e513f834c9a3af33d8aed82d1d961f2), istio/api v1.30.3 and
 * istio-ecosystem/wasm-extensions 1.12.0 (7f25c4bc086a61783c217da8548b637a64967ebb):
 *
 * - servers and routes: a Gateway selects pods by labels (any namespace); a server's `hosts`
 *   with a `ns/` prefix admit VirtualServices from that namespace only, without one from any
 *   (pilot/pkg/model/gateway.go `sanitizeServerHostNamespace`, pkg/config/host/names.go
 *   `NamesForNamespace`); an `httpsRedirect` server answers 301 (with the default
 *   `gatewayTopology.numTrustedProxies` 0, a client's X-Forwarded-Proto is not trusted; with
 *   trusted proxies a forged one skips the redirect, but the policies still apply on every port);
 *   Istio applies Gateways of every namespace that select the pods (push_context.go
 *   `mergeGateways`); the virtual host is chosen by
 *   the Host header lowercased, its port ignored and a trailing dot kept
 *   (pilot/pkg/networking/core/gateway.go `IgnorePortInHostMatching`; envoy config_impl.cc
 *   `findVirtualHost`); routes match in order on the `uri`, `authority`, `method` and `headers`
 *   of their `match`, case-sensitively, regexes against the whole value, `authority` with its
 *   port (pilot/pkg/networking/core/route/route.go `TranslateRouteMatch`); no match is 404;
 *   `headers.request.remove` is applied by the router, after every filter;
 * - headers whose names have "_" pass (Envoy's default ALLOW; Istio sets no
 *   `headers_with_underscores_action`) unless an EnvoyFilter sets DROP_HEADER or REJECT_REQUEST;
 * - path normalization before any filter (pilot/pkg/networking/core/listener_builder.go; envoy
 *   conn_manager_utility.cc `maybeNormalizePath`): the mesh default BASE normalizes dot
 *   segments, backslashes and unreserved escapes but keeps `%2F` and doubled slashes; an
 *   EnvoyFilter MERGE on the gateway's HCM can add `merge_slashes` and an escaped-slash action;
 * - filters in order (listener_builder.go `buildHTTPConnectionManager`): filters an EnvoyFilter
 *   inserts first (Envoy RBAC DENY rules: header and url_path matchers), CUSTOM (ext_authz, only
 *   when a CUSTOM rule matches), Wasm plugins of the AUTHN phase, jwt_authn (RequestAuthentication),
 *   RBAC DENY, RBAC ALLOW (with any ALLOW policy, a request none matches is denied), Wasm plugins
 *   without a phase, then the router;
 * - policy matching (pilot/pkg/security/authz/model/generator.go, matcher/header.go, string.go):
 *   `hosts` case-insensitive on the raw `:authority` (leading `*` suffix, trailing `*` prefix,
 *   `*` present), `paths` case-sensitive on the path without query, `methods` case-sensitive,
 *   `requestPrincipals` as `<iss>/<sub>` split at the last "/", `when` on `request.headers[...]`
 *   (case-sensitive values), `request.auth.audiences`, `request.auth.claims[...]` (string or
 *   list claims only: a numeric claim never matches);
 * - RequestAuthentication (pilot/pkg/security/authn/policy_applier.go): every jwtRule of every
 *   policy on the pods is a provider with `allow_missing`: no token passes without a principal,
 *   a token that fails or whose issuer no rule lists is 401; `outputClaimToHeaders` headers are
 *   removed from the request before verification and set from a verified token;
 * - basic_auth plugin (extensions/basic_auth/plugin.cc `check`): rules by exact method; a rule's
 *   hosts compared exactly (case-sensitive) after dropping the port; path prefix/exact/suffix on
 *   the raw `:path`; every matching rule must accept the `Basic` credential; a request no rule
 *   matches passes unchecked; the Authorization header is left in place.
 */
import { normalizePath } from './hcm';
import { claimHeaderValue, verifyJwt } from './jwt';
import { answered, lowerHeaders, Outcome } from './outcome';
import { AttackRequest } from './requests';

/** The gateway pods the request arrives at. */
export interface GatewayWorkload {
  readonly namespace: string;
  readonly labels: { readonly [key: string]: string };
  /** The Gateway API Gateway these pods were deployed for, if any (label `gateway.networking.k8s.io/gateway-name`). */
  readonly gatewayApiName?: string;
}

/** The answer of an external authorization service. */
export interface ExtAuthzAnswer {
  readonly allow: boolean;
  /** Headers it returns for the upstream on allow (`headersToUpstreamOnAllow` picks from them). */
  readonly headers?: { readonly [name: string]: string };
}

/** An external authorization service, and the headers of its answer the provider passes upstream. */
export interface ExtAuthzService {
  readonly check: (headers: { [name: string]: string }) => ExtAuthzAnswer;
  readonly headersToUpstreamOnAllow?: string[];
}

export interface IstioModelOptions {
  /** Public keys of a jwksUri (the tests' issuers). */
  readonly jwksFor?: (uri: string) => { keys: any[] };
  /** External authorization services by extension provider name, with the headers they may return to upstream. */
  readonly extAuthz?: { readonly [provider: string]: ExtAuthzService };
  /** meshConfig.pathNormalization. @default "BASE" */
  readonly pathNormalization?: 'NONE' | 'BASE' | 'MERGE_SLASHES' | 'DECODE_AND_MERGE_SLASHES';
}

const ROOT_NAMESPACE = 'istio-system';

/** Istio's string matcher for policy values: `*` present (non-empty), leading `*` suffix, trailing `*` prefix, else exact. */
export function policyValueMatches(pattern: string, value: string | undefined, ignoreCase = false): boolean {
  if (value === undefined) {
    return false;
  }
  const p = ignoreCase ? pattern.toLowerCase() : pattern;
  const v = ignoreCase ? value.toLowerCase() : value;
  if (p === '*') {
    return v.length > 0 || pattern === '*';
  }
  if (p.startsWith('*')) {
    return v.endsWith(p.slice(1));
  }
  if (p.endsWith('*')) {
    return v.startsWith(p.slice(0, -1));
  }
  return v === p;
}

/** `requestPrincipals` values: `*`, or `<iss>/<sub>` split at the last "/", each part matched on its own. */
function principalMatches(pattern: string, principal: { iss: string; sub: string } | undefined): boolean {
  if (principal === undefined) {
    return false;
  }
  if (pattern === '*') {
    return principal.iss.length > 0 && principal.sub.length > 0;
  }
  const i = pattern.lastIndexOf('/');
  if (i < 0) {
    return false;
  }
  const iss = pattern.slice(0, i);
  const sub = pattern.slice(i + 1);
  const part = (p: string, v: string) => (p === '*' ? v.length > 0 : policyValueMatches(p, v));
  return part(iss, principal.iss) && part(sub, principal.sub);
}

const subset = (want: { [k: string]: string } | undefined, have: { readonly [k: string]: string }) =>
  Object.entries(want ?? {}).every(([k, v]) => have[k] === v);

interface RequestState {
  authority: string;
  method: string;
  path: string;
  headers: { [name: string]: string };
  principal?: { iss: string; sub: string };
  claims?: any;
  peer?: string;
}

/** The Istio ingress gateway pods `workload`, configured by `docs`. */
export class IstioGatewayModel {
  private readonly byKind = new Map<string, any[]>();
  private readonly routeTables = new Map<number, VirtualHost[] | undefined>();

  constructor(private readonly docs: any[], private readonly workload: GatewayWorkload, private readonly opts: IstioModelOptions = {}) {
    for (const d of docs) {
      if (d.kind === 'AuthorizationPolicy' && d.spec?.action === 'DENY' && (d.spec.rules ?? []).length === 0) {
        throw new Error(`DENY AuthorizationPolicy ${d.metadata.name} without rules: Istio rejects it`);
      }
    }
  }

  /** Whether a policy-like object (selector or targetRefs) applies to the workload. */
  private applies(d: any): boolean {
    const ns = d.metadata?.namespace ?? 'default';
    const refs = d.spec?.targetRefs ?? (d.spec?.targetRef ? [d.spec.targetRef] : undefined);
    if (refs !== undefined) {
      return ns === this.workload.namespace && this.workload.gatewayApiName !== undefined &&
        refs.some((r: any) => r.kind === 'Gateway' && r.group === 'gateway.networking.k8s.io' && r.name === this.workload.gatewayApiName);
    }
    if (ns !== this.workload.namespace && ns !== ROOT_NAMESPACE) {
      return false;
    }
    const sel = d.kind === 'EnvoyFilter' ? d.spec?.workloadSelector?.labels : d.spec?.selector?.matchLabels;
    return subset(sel, this.workload.labels);
  }

  private of(kind: string): any[] {
    // The docs do not change after construction: each kind is looked up once.
    let found = this.byKind.get(kind);
    if (found === undefined) {
      found = this.docs.filter(d => d.kind === kind && d.apiVersion?.includes('istio.io') && this.applies(d));
      this.byKind.set(kind, found);
    }
    return found;
  }

  public async handle(req: AttackRequest): Promise<Outcome> {
    const port = req.scheme === 'https' ? 443 : 80;
    const routes = this.routeTable(port);
    if (routes === undefined) {
      return answered(0, `no listener on port ${port}`);
    }
    // HCM: path normalization.
    const normalized = this.normalize(req.path);
    if (typeof normalized !== 'string') {
      return normalized;
    }
    const state: RequestState = { authority: req.authority, method: req.method, path: normalized, headers: lowerHeaders(req.headers) };
    const underscores = this.underscoreHeaders();
    if (Object.keys(state.headers).some(h => h.includes('_'))) {
      if (underscores === 'REJECT_REQUEST') {
        return answered(400, 'header name with an underscore');
      }
      if (underscores === 'DROP_HEADER') {
        for (const h of Object.keys(state.headers).filter(k => k.includes('_'))) {
          delete state.headers[h];
        }
      }
    }
    const vhost = routes.find(v => v.matches(req.authority));
    if (vhost?.redirect) {
      return answered(301, `server on port ${port} redirects to HTTPS`);
    }

    // HTTP filters an EnvoyFilter inserts first (Envoy RBAC only)
    for (const f of this.of('EnvoyFilter')) {
      for (const patch of f.spec.configPatches ?? []) {
        if (patch.applyTo === 'HTTP_FILTER' && patch.match?.context === 'GATEWAY' && patch.patch?.operation === 'INSERT_FIRST') {
          const denied = envoyRbacDenies(patch.patch.value.typed_config, state);
          if (denied) {
            return answered(403, `${f.metadata.name}: ${denied}`);
          }
        }
      }
    }
    // CUSTOM
    const custom = this.of('AuthorizationPolicy').filter(p => p.spec.action === 'CUSTOM');
    for (const p of custom) {
      if ((p.spec.rules ?? []).some((r: any) => this.ruleMatches(r, state, port))) {
        const provider = this.opts.extAuthz?.[p.spec.provider?.name];
        if (!provider) {
          return answered(403, `CUSTOM ${p.metadata.name}: provider ${p.spec.provider?.name} unknown (denied)`);
        }
        const answer = provider.check(state.headers);
        if (!answer.allow) {
          return answered(403, `CUSTOM ${p.metadata.name}: ext_authz denied`);
        }
        for (const h of provider.headersToUpstreamOnAllow ?? []) {
          if (answer.headers?.[h] !== undefined) {
            state.headers[h] = answer.headers[h];
          }
        }
      }
    }
    // Wasm, AUTHN phase
    const wasm = this.of('WasmPlugin');
    for (const w of wasm.filter(x => x.spec.phase === 'AUTHN')) {
      const r = basicAuthCheck(w, state);
      if (r) {
        return r;
      }
    }
    // jwt_authn, then RBAC DENY and ALLOW
    const denied = await istioAuthnAuthz(this.of('RequestAuthentication'), this.of('AuthorizationPolicy'), state, port, this.opts);
    if (denied) {
      return denied;
    }
    // Wasm without a phase
    for (const w of wasm.filter(x => x.spec.phase === undefined || x.spec.phase === 'UNSPECIFIED_PHASE')) {
      const r = basicAuthCheck(w, state);
      if (r) {
        return r;
      }
    }
    // router
    if (!vhost) {
      return answered(404, `no virtual host for ${req.authority}`);
    }
    for (const route of vhost.routes) {
      if (route.matches(state)) {
        if (route.redirect) {
          return answered(301, 'route redirects');
        }
        const headers = { ...state.headers };
        for (const h of route.remove) {
          delete headers[h];
        }
        return { status: 200, backend: route.backend, path: state.path, headers: { ...headers, ':authority': state.authority }, why: route.why };
      }
    }
    return answered(404, `no route of ${vhost.name} matches`);
  }

  private ruleMatches(rule: any, s: RequestState, port: number): boolean {
    return policyRuleMatches(rule, s, port);
  }

  /** `headers_with_underscores_action` of the gateway's HCM (Istio sets none: Envoy's ALLOW). */
  private underscoreHeaders(): string {
    let action = 'ALLOW';
    for (const f of this.of('EnvoyFilter')) {
      for (const patch of f.spec.configPatches ?? []) {
        const hcm = patch.patch?.value?.typed_config;
        if (patch.applyTo === 'NETWORK_FILTER' && patch.patch?.operation === 'MERGE' && hcm?.common_http_protocol_options?.headers_with_underscores_action) {
          action = hcm.common_http_protocol_options.headers_with_underscores_action;
        }
      }
    }
    return action;
  }

  /** Escaped slashes, then normalize_path, then merge_slashes, as the HCM is configured. */
  private normalize(raw: string): string | Outcome {
    const mesh = this.opts.pathNormalization ?? 'BASE';
    let normalizePathOn = mesh !== 'NONE';
    let mergeSlashes = mesh === 'MERGE_SLASHES' || mesh === 'DECODE_AND_MERGE_SLASHES';
    let escaped = mesh === 'DECODE_AND_MERGE_SLASHES' ? 'UNESCAPE_AND_FORWARD' : 'KEEP_UNCHANGED';
    for (const f of this.of('EnvoyFilter')) {
      for (const patch of f.spec.configPatches ?? []) {
        const hcm = patch.patch?.value?.typed_config;
        if (patch.applyTo === 'NETWORK_FILTER' && patch.match?.context === 'GATEWAY' && patch.patch?.operation === 'MERGE' &&
            hcm?.['@type']?.endsWith('HttpConnectionManager')) {
          normalizePathOn = hcm.normalize_path ?? normalizePathOn;
          mergeSlashes = hcm.merge_slashes ?? mergeSlashes;
          escaped = hcm.path_with_escaped_slashes_action ?? escaped;
        }
      }
    }
    return normalizePath(raw, { normalizePath: normalizePathOn, mergeSlashes, escapedSlashes: escaped });
  }

  /** The virtual hosts on a port: from VirtualServices bound to Gateways on these pods, or Gateway API routes. */
  private routeTable(port: number): VirtualHost[] | undefined {
    if (!this.routeTables.has(port)) {
      this.routeTables.set(port, this.buildRouteTable(port));
    }
    return this.routeTables.get(port);
  }

  private buildRouteTable(port: number): VirtualHost[] | undefined {
    const vhosts: VirtualHost[] = [];
    let listening = false;
    // Istio Gateways that select these pods.
    for (const gw of this.docs.filter(d => d.kind === 'Gateway' && d.apiVersion?.startsWith('networking.istio.io/'))) {
      if (!subset(gw.spec.selector, this.workload.labels)) {
        continue;
      }
      const gwRef = `${gw.metadata.namespace ?? 'default'}/${gw.metadata.name}`;
      for (const server of gw.spec.servers ?? []) {
        if (server.port.number !== port) {
          continue;
        }
        listening = true;
        if (server.tls?.httpsRedirect) {
          vhosts.push(new VirtualHost(`${gwRef} redirect`, server.hosts.map((h: string) => h.split('/').pop()), [], true));
          continue;
        }
        for (const vs of this.docs.filter(d => d.kind === 'VirtualService')) {
          const vsNs = vs.metadata.namespace ?? 'default';
          const bound = (vs.spec.gateways ?? []).some((g: string) => (g.includes('/') ? g : `${vsNs}/${g}`) === gwRef);
          if (!bound) {
            continue;
          }
          // NamesForNamespace: `ns/host` admits VirtualServices of `ns` only; `*/host` or `host` any.
          const admitted: string[] = server.hosts.flatMap((h: string) => {
            const [ns, name] = h.includes('/') ? h.split('/') : ['*', h];
            return ns === '*' || ns === vsNs || (ns === '.' && vsNs === (gw.metadata.namespace ?? 'default')) ? [name] : [];
          });
          const hosts = (vs.spec.hosts as string[]).filter(h => admitted.some(a => hostCovers(a, h)));
          if (hosts.length > 0) {
            vhosts.push(new VirtualHost(`${vsNs}/${vs.metadata.name}`, hosts, (vs.spec.http ?? []).map((r: any) => istioRoute(r, vsNs)), false));
          }
        }
      }
    }
    // A Gateway API Gateway these pods serve.
    const name = this.workload.gatewayApiName;
    const kgw = name === undefined ? undefined : this.docs.find(d => d.kind === 'Gateway' && d.apiVersion?.startsWith('gateway.networking.k8s.io/') &&
      d.metadata.name === name && (d.metadata.namespace ?? 'default') === this.workload.namespace);
    for (const listener of kgw?.spec.listeners ?? []) {
      if (listener.port !== port) {
        continue;
      }
      listening = true;
      for (const route of this.docs.filter(d => d.kind === 'HTTPRoute' || d.kind === 'GRPCRoute')) {
        const rNs = route.metadata.namespace ?? 'default';
        const attached = (route.spec.parentRefs ?? []).some((p: any) => p.name === name && (p.namespace ?? rNs) === this.workload.namespace &&
          (p.sectionName === undefined || p.sectionName === listener.name));
        const sameNamespace = (listener.allowedRoutes?.namespaces?.from ?? 'Same') !== 'Same' || rNs === this.workload.namespace;
        if (attached && sameNamespace) {
          vhosts.push(new VirtualHost(`${rNs}/${route.metadata.name}`, route.spec.hostnames ?? ['*'],
            (route.spec.rules ?? []).map((r: any) => gatewayApiRoute(r, rNs)), false));
        }
      }
    }
    return listening ? vhosts : undefined;
  }
}

/**
 * Istio's jwt_authn (every jwtRule of the RequestAuthentications given, `allow_missing`) and then
 * its RBAC filters (DENY, then ALLOW): the answer when the request is refused, else undefined
 * (the request goes on, with the principal, claims and claim headers set in `state`).
 */
async function istioAuthnAuthz(requestAuthentications: any[], policies: any[], state: RequestState, port: number,
  opts: IstioModelOptions): Promise<Outcome | undefined> {
  const rules = requestAuthentications.flatMap(ra => ra.spec.jwtRules ?? []);
  if (rules.length > 0) {
    const providers = rules.map((r: any) => ({
      issuer: r.issuer,
      jwks: r.jwks !== undefined ? JSON.parse(r.jwks) : opts.jwksFor?.(r.jwksUri) ?? { keys: [] },
      audiences: r.audiences,
      requireExpiration: false,
      claimToHeaders: r.outputClaimToHeaders,
      forward: r.forwardOriginalToken === true,
      // Istio's default token locations: the Authorization header and the access_token parameter
      queryParameter: r.fromHeaders === undefined && r.fromParams === undefined && r.fromCookies === undefined,
    }));
    for (const p of providers) {
      for (const c of p.claimToHeaders ?? []) {
        delete state.headers[c.header.toLowerCase()];
      }
    }
    const outcome = await verifyJwt(state.headers, providers, state.path);
    if (outcome.kind === 'invalid') {
      return answered(401, `jwt_authn: ${outcome.reason}`);
    }
    if (outcome.kind === 'valid') {
      const p = outcome.provider as typeof providers[number];
      state.principal = { iss: outcome.claims.iss, sub: outcome.claims.sub ?? '' };
      state.claims = outcome.claims;
      for (const c of p.claimToHeaders ?? []) {
        const v = claimHeaderValue(outcome.claims[c.claim]);
        if (v !== undefined) {
          state.headers[c.header.toLowerCase()] = v;
        }
      }
      if (!p.forward) {
        delete state.headers.authorization;
      }
    }
  }
  for (const p of policies.filter(x => x.spec.action === 'DENY')) {
    if ((p.spec.rules ?? []).some((r: any) => policyRuleMatches(r, state, port))) {
      return answered(403, `DENY ${p.metadata.name}`);
    }
  }
  const allows = policies.filter(x => (x.spec.action ?? 'ALLOW') === 'ALLOW');
  if (allows.length > 0 && !allows.some(p => (p.spec.rules ?? []).some((r: any) => policyRuleMatches(r, state, port)))) {
    return answered(403, 'no ALLOW policy matches');
  }
  return undefined;
}

/** A workload's pod behind its sidecar, and who calls it over mTLS. */
export interface SidecarCall {
  readonly namespace: string;
  readonly labels: { readonly [key: string]: string };
  readonly port: number;
  /** The caller's mTLS identity (`<trust domain>/ns/<ns>/sa/<sa>`). */
  readonly peer: string;
}

/**
 * The backend's sidecar receiving a request the gateway forwarded: the RequestAuthentications
 * and AuthorizationPolicies that select the pod by labels in its namespace (or the root
 * namespace), with the caller's identity as `source.principals` and `source.namespaces`.
 */
export async function sidecarInbound(docs: any[], to: SidecarCall, forwarded: Outcome, opts: IstioModelOptions = {}): Promise<Outcome> {
  const applies = (d: any) => d.spec?.targetRefs === undefined && ((d.metadata?.namespace ?? 'default') === to.namespace ||
    d.metadata?.namespace === ROOT_NAMESPACE) && subset(d.spec?.selector?.matchLabels, to.labels);
  const of = (kind: string) => docs.filter(d => d.kind === kind && d.apiVersion?.startsWith('security.istio.io/') && applies(d));
  const state: RequestState = {
    authority: forwarded.headers?.[':authority'] ?? '',
    method: 'POST',
    path: forwarded.path ?? '/',
    headers: { ...(forwarded.headers ?? {}) },
    peer: to.peer,
  };
  const denied = await istioAuthnAuthz(of('RequestAuthentication'), of('AuthorizationPolicy'), state, to.port, opts);
  return denied ?? { ...forwarded, headers: state.headers, why: `${forwarded.why}; the backend's sidecar admits it` };
}

/** What a policy rule sees of a request (after normalization and authentication). */
export interface PolicyRequest {
  readonly authority: string;
  readonly path: string;
  readonly method: string;
  readonly headers: { readonly [name: string]: string };
  /** The request principal from a verified JWT. */
  readonly principal?: { iss: string; sub: string };
  readonly claims?: any;
  /** The caller's mTLS identity; none for requests from outside the mesh (at an ingress gateway). */
  readonly peer?: string;
}

/**
 * One AuthorizationPolicy rule: any of `from` (sources), any of `to` (operations), every `when`
 * condition. Requests arriving at an ingress gateway from outside the mesh have no peer identity.
 */
export function policyRuleMatches(rule: any, s: PolicyRequest, port = 443): boolean {
  const from = rule.from ?? [];
  const to = rule.to ?? [];
  if (from.length > 0 && !from.some((f: any) => sourceMatches(f.source ?? {}, s))) {
    return false;
  }
  if (to.length > 0 && !to.some((t: any) => operationMatches(t.operation ?? {}, s, port))) {
    return false;
  }
  return (rule.when ?? []).every((c: any) => conditionMatches(c, s));
}

function sourceMatches(src: any, s: PolicyRequest): boolean {
  const any = (values: string[] | undefined, f: (v: string) => boolean) => values === undefined || values.some(f);
  const none = (values: string[] | undefined, f: (v: string) => boolean) => values === undefined || !values.some(f);
  const peerNamespace = s.peer === undefined ? undefined : /\/ns\/([^/]+)\/sa\//.exec(s.peer)?.[1];
  return any(src.requestPrincipals, v => principalMatches(v, s.principal)) &&
    none(src.notRequestPrincipals, v => principalMatches(v, s.principal)) &&
    any(src.principals, v => policyValueMatches(v, s.peer)) && any(src.namespaces, v => policyValueMatches(v, peerNamespace)) &&
    none(src.notPrincipals, v => policyValueMatches(v, s.peer)) && none(src.notNamespaces, v => policyValueMatches(v, peerNamespace));
}

/** Whether a server host (`*.x`, `*` or exact) admits a VirtualService host. */
function hostCovers(server: string, host: string): boolean {
  if (server === '*') {
    return true;
  }
  if (server.startsWith('*.')) {
    return host === server || (host.endsWith(server.slice(1)) && !host.startsWith('*'));
  }
  return server === host;
}

interface Route {
  readonly matches: (s: RequestState) => boolean;
  readonly backend?: string;
  readonly remove: string[];
  readonly redirect: boolean;
  readonly why: string;
}

class VirtualHost {
  constructor(readonly name: string, private readonly domains: string[], readonly routes: Route[], readonly redirect: boolean) {}

  /** Envoy `findVirtualHost`: lowercased, port dropped (IgnorePortInHostMatching), trailing dot kept. */
  public matches(authority: string): boolean {
    const host = authority.replace(/:\d*$/, '').toLowerCase();
    return this.domains.some(d => {
      const dom = d.toLowerCase();
      if (dom === '*') {
        return true;
      }
      return dom.startsWith('*.') ? host.endsWith(dom.slice(1)) && host.length > dom.length - 1 : host === dom;
    });
  }
}

/** An Istio StringMatch on a value: exact, prefix or (whole-value RE2) regex, case-sensitive. */
function stringMatch(m: any, value: string | undefined): boolean {
  if (value === undefined) {
    return false;
  }
  if (m.exact !== undefined) {
    return value === m.exact;
  }
  if (m.prefix !== undefined) {
    return value.startsWith(m.prefix);
  }
  if (m.regex !== undefined) {
    const flags = m.regex.startsWith('(?i)') ? 'i' : '';
    return new RegExp(`^(?:${m.regex.replace(/^\(\?i\)/, '')})$`, flags).test(value);
  }
  throw new Error(`the model does not know string match ${JSON.stringify(m)}`);
}

function istioRoute(r: any, ns: string): Route {
  const dest = r.route?.[0]?.destination;
  const backend = dest ? `${dest.host.split('.')[1] ?? ns}/${dest.host.split('.')[0]}:${dest.port?.number}` : undefined;
  const matchers = (r.match ?? [{}]).map((m: any) => (s: RequestState) => {
    const path = s.path.split('?')[0];
    const uriOk = m.uri === undefined || stringMatch(m.ignoreUriCase ? lowerMatch(m.uri) : m.uri, m.ignoreUriCase ? path.toLowerCase() : path);
    return uriOk &&
      (m.authority === undefined || stringMatch(m.authority, s.authority)) &&
      (m.method === undefined || stringMatch(m.method, s.method)) &&
      Object.entries(m.headers ?? {}).every(([h, hm]) => stringMatch(hm, s.headers[h.toLowerCase()]));
  });
  return {
    matches: s => matchers.some((f: (s: RequestState) => boolean) => f(s)),
    backend,
    remove: (r.headers?.request?.remove ?? []).map((h: string) => h.toLowerCase()),
    redirect: r.redirect !== undefined,
    why: `VirtualService route to ${backend}`,
  };
}

function lowerMatch(m: any): any {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, String(v).toLowerCase()]));
}

function gatewayApiRoute(r: any, ns: string): Route {
  const ref = r.backendRefs?.[0];
  const redirect = (r.filters ?? []).some((f: any) => f.type === 'RequestRedirect');
  const matches = r.matches ?? [];
  return {
    matches: s => matches.length === 0 || matches.some((m: any) => {
      if (m.path) {
        const path = s.path.split('?')[0];
        if (m.path.type === 'Exact') {
          return path === m.path.value;
        }
        // PathPrefix matches whole path elements (Gateway API spec; Istio: path_separated_prefix)
        const prefix = String(m.path.value ?? '/').replace(/\/+$/, '');
        return prefix === '' || path === prefix || path.startsWith(`${prefix}/`);
      }
      if (m.method?.service) {
        return s.path.startsWith(`/${m.method.service}/${m.method.method ?? ''}`);
      }
      return true;
    }),
    backend: ref ? `${ref.namespace ?? ns}/${ref.name}:${ref.port}` : undefined,
    remove: [],
    redirect,
    why: `route to ${ref?.name}`,
  };
}

/**
 * A policy path: a path template with `{*}` (one segment) or `{**}` (the rest: zero segments or
 * more) since Istio 1.22 (pilot/pkg/security/authz/model/generator.go, Envoy's uri_template
 * matcher), else the exact, prefix (`/x*`) or suffix (`*x`) forms.
 */
export function pathMatches(pattern: string, path: string): boolean {
  if (/\{\*\*?\}/.test(pattern)) {
    const re = pattern.split('/').map(seg => (seg === '{**}' ? '.*' : seg === '{*}' ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/');
    return new RegExp(`^${re}$`).test(path);
  }
  return policyValueMatches(pattern, path);
}

function operationMatches(op: any, s: PolicyRequest, port: number): boolean {
  const path = s.path.split('?')[0];
  const any = (values: string[] | undefined, f: (v: string) => boolean) => values === undefined || values.some(f);
  const none = (values: string[] | undefined, f: (v: string) => boolean) => values === undefined || !values.some(f);
  return any(op.hosts, h => policyValueMatches(h, s.authority, true)) &&
    none(op.notHosts, h => policyValueMatches(h, s.authority, true)) &&
    any(op.paths, p => pathMatches(p, path)) &&
    none(op.notPaths, p => pathMatches(p, path)) &&
    any(op.methods, m => policyValueMatches(m, s.method)) &&
    none(op.notMethods, m => policyValueMatches(m, s.method)) &&
    any(op.ports, p => String(port) === p) &&
    none(op.notPorts, p => String(port) === p);
}

function conditionMatches(c: any, s: PolicyRequest): boolean {
  let values: (string | undefined)[];
  const header = /^request\.headers\[(.+)\]$/.exec(c.key);
  const claim = /^request\.auth\.claims\[(.+)\]$/.exec(c.key);
  if (header) {
    values = [s.headers[header[1].toLowerCase()]];
  } else if (c.key === 'request.auth.audiences') {
    const aud = s.claims?.aud;
    values = aud === undefined ? [undefined] : Array.isArray(aud) ? aud : [aud];
  } else if (c.key === 'request.auth.principal') {
    values = [s.principal ? `${s.principal.iss}/${s.principal.sub}` : undefined];
  } else if (claim) {
    const v = s.claims?.[claim[1]];
    // string or list-of-string claims only: a number or boolean never matches
    values = typeof v === 'string' ? [v] : Array.isArray(v) ? v.filter(x => typeof x === 'string') : [undefined];
  } else {
    throw new Error(`the model does not know condition key ${c.key}`);
  }
  const hit = (patterns: string[]) => values.some(v => patterns.some(p => policyValueMatches(p, v)));
  return (c.values === undefined || hit(c.values)) && (c.notValues === undefined || !hit(c.notValues));
}

/** Envoy's RBAC filter (envoy extensions/filters/http/rbac, config/rbac/v3/rbac.proto) with DENY rules: the policy that denies, if any. */
function envoyRbacDenies(config: any, s: RequestState): string | undefined {
  if (!config?.['@type']?.endsWith('.rbac.v3.RBAC') || config.rules?.action !== 'DENY') {
    throw new Error(`the model does not know this inserted filter: ${JSON.stringify(config)}`);
  }
  const envoyString = (m: any, v: string | undefined): boolean => {
    if (v === undefined) {
      return false;
    }
    if (m.safe_regex) {
      return new RegExp(`^(?:${m.safe_regex.regex.replace(/^\(\?i\)/, '')})$`, m.safe_regex.regex.startsWith('(?i)') ? 'i' : '').test(v);
    }
    if (m.exact !== undefined) {
      return v === m.exact;
    }
    if (m.prefix !== undefined) {
      return v.startsWith(m.prefix);
    }
    throw new Error(`the model does not know string matcher ${JSON.stringify(m)}`);
  };
  const permission = (p: any): boolean => {
    if (p.and_rules) {
      return p.and_rules.rules.every(permission);
    }
    if (p.any) {
      return true;
    }
    if (p.header) {
      return envoyString(p.header.string_match, p.header.name === ':authority' ? s.authority : s.headers[p.header.name.toLowerCase()]);
    }
    if (p.url_path) {
      return envoyString(p.url_path.path, s.path.split('?')[0]);
    }
    throw new Error(`the model does not know RBAC permission ${JSON.stringify(p)}`);
  };
  for (const [name, policy] of Object.entries<any>(config.rules.policies ?? {})) {
    if (policy.principals.some((x: any) => x.any === true) && policy.permissions.some(permission)) {
      return `RBAC DENY ${name}`;
    }
  }
  return undefined;
}

/** The basic_auth plugin's `check()`: undefined when the request goes on. */
function basicAuthCheck(plugin: any, s: RequestState): Outcome | undefined {
  const config = plugin.spec.pluginConfig ?? {};
  const host = s.authority.replace(/:[^:\]]*$/, '');
  for (const rule of config.basic_auth_rules ?? []) {
    if (!(rule.request_methods ?? []).includes(s.method)) {
      continue;
    }
    const hosts: string[] = rule.hosts ?? [];
    const hostOk = hosts.length === 0 || hosts.some(h => (h.startsWith('*') ? host.endsWith(h.slice(1)) : h.endsWith('*') ? host.startsWith(h.slice(0, -1)) : host === h));
    if (!hostOk) {
      continue;
    }
    const pathOk = rule.prefix !== undefined ? s.path.startsWith(rule.prefix)
      : rule.exact !== undefined ? s.path === rule.exact : s.path.endsWith(rule.suffix);
    if (!pathOk) {
      continue;
    }
    const auth = s.headers.authorization ?? '';
    if (!auth.startsWith('Basic ')) {
      return answered(401, 'basic_auth: no credentials');
    }
    const given = auth.slice('Basic '.length);
    const accepted = (rule.credentials as string[]).map(c => (c.includes(':') ? Buffer.from(c, 'utf8').toString('base64') : c));
    if (!accepted.includes(given)) {
      return answered(401, 'basic_auth: invalid credentials');
    }
  }
  return undefined;
}

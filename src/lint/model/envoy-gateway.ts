/**
 * A model of how Envoy Gateway v1.9.0 (envoyproxy/gateway 39763b1c07ec30a5526fe70434a2cfe4181de642)
 * translates Gateway API objects and its policies and how the Envoy it configures then handles one
 * request, for the attack tests. `evaluateEnvoyGateway(docs, request)` (or `new
 * EnvoyGatewayModel(docs).handle(request)`) answers which backend the request reaches, or what the
 * proxy answers instead. Every rule cites the upstream file (and function) it follows; paths are in
 * envoyproxy/gateway unless they name envoyproxy/envoy. In short:
 *
 * - listeners (internal/gatewayapi/listener.go `ProcessListeners`, validate.go): HTTP and HTTPS
 *   listeners only; an HTTPS listener needs `tls.mode: Terminate` and certificate Secrets of type
 *   kubernetes.io/tls (another namespace only with a ReferenceGrant); listeners of one port with
 *   the same hostname, or of different protocols, are all conflicted and not programmed;
 * - connection (internal/xds/translator/listener.go `addHCMToXDSListener`, `addServerNamesMatch`):
 *   plain HTTP listeners of one port share one HCM and one route table; each HTTPS listener is a
 *   filter chain chosen by SNI (its hostname; none for no hostname) with its own route table;
 *   TLS 1.2 to 1.3 unless a ClientTrafficPolicy says otherwise; ALPN `h2, http/1.1`, only
 *   `http/1.1` for a listener whose hostname overlaps another HTTPS listener's on the port (no
 *   hostname overlaps all; overlapping certificates are not modelled) unless a ClientTrafficPolicy
 *   sets `alpnProtocols`;
 * - HCM defaults (listener.go `addHCMToXDSListener`, gatewayapi/listener.go `ProcessListeners`):
 *   `normalize_path` on, `merge_slashes` on, escaped slashes UNESCAPE_AND_REDIRECT, headers with
 *   underscores rejected (400), trailing host dot kept, `x-forwarded-proto` from the connection;
 * - routes (internal/gatewayapi/route.go, helpers.go `computeHosts`, sort.go, xds/translator/route.go
 *   `buildXdsRouteMatch`): a route attaches to the listeners its parentRefs select that allow its
 *   kind and namespace, under the intersection of its and the listener's hostnames; virtual host by
 *   the Host lowercased, its port ignored (`IgnorePortInHostMatching`); routes sorted Exact > regex >
 *   prefix, longer paths, more header matches first; `PathPrefix` is Envoy's
 *   `path_separated_prefix` (segment-wise); a GRPCRoute method is a path match, no content-type;
 * - SecurityPolicy (internal/gatewayapi/securitypolicy.go `ProcessSecurityPolicies`): policies in
 *   creation order (then namespace/name); targets in the policy's own namespace (targetSelectors
 *   may reach further with a ReferenceGrant); route rule, then route, then listener, then Gateway:
 *   the most specific policy REPLACES the others for a route entirely (a route policy with CORS only
 *   leaves the route without the Gateway's JWT) unless it sets `mergeType`; a second policy on the
 *   same target is Conflicted and ignored; an invalid policy makes its routes answer 500, except an
 *   ExtAuth-only error with `failOpen`, which drops the ExtAuth;
 * - filters in order (xds/translator/httpfilters.go `newOrderedHTTPFilter`): cors, ext_authz,
 *   basic_auth, jwt_authn, rbac (authorization), router.
 *
 * Not modelled (the model throws where a manifest uses them): ListenerSets (their parentRefs are
 * ignored), OIDC, API keys, client-IP principals, URL rewrites and other route filters; endpoints are
 * taken as ready; merged Gateways are not modelled (one Gateway's proxy at a time).
 */
import { createHash } from 'crypto';
import { decodeJwt } from 'jose';
import { normalizePath } from './hcm';
import { bearerToken, claimHeaderValue, JwtProviderModel, verifyJwt } from './jwt';
import { answered, lowerHeaders, Outcome } from './outcome';
import { AttackRequest } from './requests';

const GW = 'gateway.networking.k8s.io';
const EG = 'gateway.envoyproxy.io';

/** A request as the attack tests send it, with what a TLS client can choose besides. */
export interface EnvoyGatewayRequest extends AttackRequest {
  /** The port it connects to. @default 443 for https, 80 for http */
  readonly port?: number;
  /** The TLS SNI. @default the Host without port and trailing dot, lowercase */
  readonly sni?: string;
  /** The TLS version the client speaks. @default "1.3" */
  readonly tlsVersion?: '1.0' | '1.1' | '1.2' | '1.3';
  /** The client certificate it presents, if any. */
  readonly clientCertificate?: 'valid' | 'invalid';
}

/** What Envoy sends an external authorization service (ext_authz `CheckRequest`, or the HTTP check request). */
export interface ExtAuthCheck {
  /** The SecurityPolicy (`namespace/name`) the ExtAuth comes from. */
  readonly policy: string;
  readonly protocol: 'grpc' | 'http';
  /** The authorization Service, `namespace/name:port`. */
  readonly service: string;
  readonly method: string;
  readonly path: string;
  readonly authority: string;
  /** The request headers sent to the authorizer (lowercase names). */
  readonly headers: { readonly [name: string]: string };
}

/** The authorizer's answer, or `unreachable` (down, timed out, its cluster has no endpoint). */
export type ExtAuthAnswer = { readonly allow: boolean; readonly status?: number; readonly headers?: { readonly [name: string]: string } } | 'unreachable';

/** An authorizer that allows a request iff it carries all of `headers` (the good credential). */
export function authorizerAccepting(headers: { readonly [name: string]: string }): (check: ExtAuthCheck) => ExtAuthAnswer {
  return check => ({ allow: Object.entries(headers).every(([k, v]) => check.headers[k.toLowerCase()] === v), status: 403 });
}

export interface EnvoyGatewayOptions {
  /** The Gateway (`namespace/name`) whose proxy receives the request. @default the only Gateway in the docs */
  readonly gateway?: string;
  /** Public keys a remote JWKS URI serves; none (a failed fetch) when it answers undefined. */
  readonly jwksFor?: (uri: string) => { keys: any[] } | undefined;
  /** The external authorization services. @default every one unreachable */
  readonly extAuth?: (check: ExtAuthCheck) => ExtAuthAnswer;
  /**
   * Treat Services, Secrets and ConfigMaps the docs reference but do not contain as existing
   * (with any port): for synthesized manifests whose Services and certificates live elsewhere.
   * @default false (a missing reference is what Envoy Gateway finds: an error)
   */
  readonly presumeExisting?: boolean;
}

/** The outcome, with what decided it. */
export interface EnvoyGatewayOutcome extends Outcome {
  /** The listener (`namespace/gateway/listener`) whose filter chain took the request. */
  readonly listener?: string;
  /** The route rule that matched (`Kind namespace/name rule N`). */
  readonly route?: string;
  /** The SecurityPolicy applied to that route (`namespace/name`; `a+b` when merged). */
  readonly securityPolicy?: string;
  /** The route timeout: a Gateway API `timeouts`, a BackendTrafficPolicy's, or Envoy's default 15s. */
  readonly requestTimeout?: string;
}

/** Whether a policy attached to a target, as its status would say. */
export interface PolicyStatus {
  readonly policy: string;
  readonly kind: string;
  readonly target: string;
  readonly condition: 'Accepted' | 'Conflicted' | 'Invalid' | 'TargetNotFound';
  readonly message?: string;
}

interface Listener {
  readonly gateway: any;
  readonly key: string;
  readonly name: string;
  readonly port: number;
  readonly protocol: string;
  readonly hostname?: string;
  ready: boolean;
  why?: string;
  readonly routes: IrRoute[];
  ctp?: any;
  tlsOverlaps: boolean;
}

interface StringMatch {
  readonly name?: string;
  readonly exact?: string;
  readonly prefix?: string;
  readonly regex?: string;
  readonly suffix?: string;
}

interface IrRoute {
  readonly kind: string;
  readonly routeKey: string;
  readonly route: any;
  readonly ruleIndex: number;
  readonly sectionName?: string;
  readonly hostname: string;
  readonly listener: Listener;
  readonly pathMatch?: StringMatch;
  readonly headerMatches: StringMatch[];
  readonly queryMatches: StringMatch[];
  readonly backend?: string;
  readonly direct?: { status: number; why: string };
  readonly redirect?: number;
  readonly set: { [name: string]: string };
  readonly add: { [name: string]: string };
  readonly remove: string[];
  readonly ruleTimeout?: string;
  security?: Security;
  btp?: any;
}

interface JwtProviderConfig {
  readonly name: string;
  readonly issuer: string;
  readonly audiences?: string[];
  readonly jwks?: { keys: any[] };
  readonly claimToHeaders: { header: string; claim: string }[];
  readonly extractFrom?: any;
}

interface Security {
  readonly policy: string;
  readonly cors?: any;
  readonly jwt?: { providers: JwtProviderConfig[]; optional: boolean; failOpen: boolean };
  readonly basicAuth?: { users: Map<string, string>; forwardUsernameHeader?: string };
  readonly extAuth?: { spec: any; service: string };
  readonly authorization?: any;
  readonly error500?: string;
}

type HeaderMap = { [name: string]: string };
type Ref = { group: string; kind: string; namespace: string; name: string };

const nsOf = (d: any): string => d?.metadata?.namespace ?? 'default';
const keyOf = (d: any): string => `${nsOf(d)}/${d.metadata.name}`;
const isGwApi = (d: any, kind: string) => d?.kind === kind && String(d.apiVersion ?? '').startsWith(`${GW}/`);
const isEg = (d: any, kind: string) => d?.kind === kind && String(d.apiVersion ?? '').startsWith(`${EG}/`);

/** internal/gatewayapi/resource/resource.go `Sort`: by creation timestamp, then namespace, then name. */
function byCreation(a: any, b: any): number {
  const t = (d: any) => (d.metadata?.creationTimestamp ? Date.parse(d.metadata.creationTimestamp) : 0);
  return t(a) - t(b) || nsOf(a).localeCompare(nsOf(b), 'en') || a.metadata.name.localeCompare(b.metadata.name, 'en');
}

/** A Secret's value at `key` (`stringData` or base64 `data`). */
function secretValue(secret: any, key: string): string | undefined {
  if (secret?.stringData?.[key] !== undefined) {
    return secret.stringData[key];
  }
  return secret?.data?.[key] === undefined ? undefined : Buffer.from(secret.data[key], 'base64').toString('utf8');
}

/** The value of a query parameter of a request target. */
function queryParam(path: string, name: string): string | undefined {
  const q = path.indexOf('?');
  return q < 0 ? undefined : new URLSearchParams(path.slice(q + 1)).get(name) ?? undefined;
}

/** helpers.go `wildcardHostnameMatchesHostname`: `*.x` matches any name ending in `.x` (and a narrower wildcard). */
function wildcardMatches(wildcard: string, host: string): boolean {
  const suffix = wildcard.slice(1);
  if (!host.startsWith('*')) {
    return host.endsWith(suffix) && host.length > suffix.length;
  }
  const rest = host.slice(1);
  return rest.endsWith(suffix) && rest.length > suffix.length && rest.slice(0, rest.length - suffix.length).startsWith('.');
}

/** An RE2 regex as Envoy uses it (a match of the whole value); `(?i)` as a flag. */
function fullMatch(regex: string, value: string): boolean {
  const ci = regex.startsWith('(?i)');
  return new RegExp(`^(?:${ci ? regex.slice(4) : regex})$`, ci ? 'i' : '').test(value);
}

/** The SecurityPolicy (and BackendTrafficPolicy) attachment of EG, for one Gateway's proxy. */
export class EnvoyGatewayModel {
  /** What each policy's status says about each of its targets. */
  public readonly statuses: PolicyStatus[] = [];
  private readonly gateway: any;
  private readonly listeners: Listener[] = [];
  private readonly routes: any[];

  constructor(private readonly docs: any[], private readonly opts: EnvoyGatewayOptions = {}) {
    const gateways = docs.filter(d => isGwApi(d, 'Gateway'));
    const chosen = opts.gateway !== undefined ? gateways.filter(g => keyOf(g) === opts.gateway) : gateways;
    if (chosen.length !== 1) {
      throw new Error(`the model needs one Gateway (options.gateway), found ${chosen.map(keyOf).join(', ') || 'none'}`);
    }
    this.gateway = chosen[0];
    // internal/gatewayapi/resource/resource.go `Sort`; translator.go processes HTTPRoutes, then GRPCRoutes
    this.routes = [
      ...docs.filter(d => isGwApi(d, 'HTTPRoute')).sort(byCreation),
      ...docs.filter(d => isGwApi(d, 'GRPCRoute')).sort(byCreation),
    ];
    this.buildListeners();
    this.attachClientTrafficPolicies();
    for (const r of this.routes) {
      this.attachRoute(r);
    }
    this.attachSecurityPolicies();
    this.attachBackendTrafficPolicies();
    for (const l of this.listeners) {
      sortRoutes(l.routes);
    }
  }

  private find(kind: string, ns: string, name: string): any {
    return this.docs.find(d => d.kind === kind && nsOf(d) === ns && d.metadata?.name === name);
  }

  /** helpers.go `isCrossNamespaceReferencePermitted`: same namespace, or a ReferenceGrant in the target's. */
  private granted(from: { group: string; kind: string; namespace: string }, to: Ref): boolean {
    if (from.namespace === to.namespace) {
      return true;
    }
    return this.docs.some(g => isGwApi(g, 'ReferenceGrant') && nsOf(g) === to.namespace &&
      (g.spec?.from ?? []).some((f: any) => f.namespace === from.namespace && (f.group ?? '') === from.group && f.kind === from.kind) &&
      (g.spec?.to ?? []).some((t: any) => (t.group ?? '') === to.group && t.kind === to.kind && (!t.name || t.name === to.name)));
  }

  /** validate.go `validateExtServiceBackendReference` / `validateBackendRef`: a Service with that TCP port. */
  private serviceExists(ns: string, name: string, port: number | undefined): boolean {
    const svc = this.find('Service', ns, name);
    if (!svc) {
      return this.opts.presumeExisting === true;
    }
    return (svc.spec?.ports ?? []).some((p: any) => p.port === port && (p.protocol ?? 'TCP') === 'TCP');
  }

  /** listener.go `ProcessListeners`, validate.go `validateTLSConfiguration`, `validateConflicted*Listeners`. */
  private buildListeners(): void {
    const gw = this.gateway;
    for (const l of gw.spec?.listeners ?? []) {
      const listener: Listener = {
        gateway: gw,
        key: `${keyOf(gw)}/${l.name}`,
        name: l.name,
        port: l.port,
        protocol: l.protocol,
        hostname: l.hostname,
        ready: true,
        routes: [],
        tlsOverlaps: false,
      };
      if (l.protocol !== 'HTTP' && l.protocol !== 'HTTPS') {
        listener.ready = false;
        listener.why = `protocol ${l.protocol} is not modelled`;
      } else if (l.protocol === 'HTTPS') {
        const refs = l.tls?.certificateRefs ?? [];
        if ((l.tls?.mode ?? 'Terminate') !== 'Terminate' || refs.length === 0) {
          listener.ready = false;
          listener.why = 'HTTPS needs tls.mode Terminate and certificateRefs';
        }
        for (const ref of refs) {
          const ns = ref.namespace ?? nsOf(gw);
          const secret = this.find('Secret', ns, ref.name);
          const allowed = this.granted({ group: GW, kind: 'Gateway', namespace: nsOf(gw) }, { group: '', kind: 'Secret', namespace: ns, name: ref.name });
          const ok = allowed && (secret ? (secret.type ?? 'kubernetes.io/tls') === 'kubernetes.io/tls' : this.opts.presumeExisting === true);
          if ((ref.kind ?? 'Secret') !== 'Secret' || !ok) {
            listener.ready = false;
            listener.why = `certificate ${ns}/${ref.name} is not a usable TLS Secret`;
          }
        }
      }
      this.listeners.push(listener);
    }
    // validate.go `validateConflictedProtocolsListeners`, `validateConflictedHostnameListeners`: no winner
    for (const a of this.listeners) {
      for (const b of this.listeners) {
        if (a !== b && a.port === b.port && (a.protocol !== b.protocol || (a.hostname ?? '') === (b.hostname ?? ''))) {
          a.ready = false;
          a.why = `conflicts with listener ${b.name} on port ${a.port}`;
        }
      }
    }
    // listener.go `checkOverlappingHostnames`, `areOverlappingHostnames`: no hostname overlaps every other
    const overlap = (x?: string, y?: string) => x === undefined || y === undefined || x === y ||
      (y.startsWith('*') && !x.startsWith('*') && x.endsWith(y.slice(1)) && !x.slice(0, x.length - y.length + 1).includes('.')) ||
      (x.startsWith('*') && !y.startsWith('*') && y.endsWith(x.slice(1)) && !y.slice(0, y.length - x.length + 1).includes('.'));
    for (const a of this.listeners) {
      a.tlsOverlaps = a.protocol === 'HTTPS' && this.listeners.some(b => b !== a && b.ready && b.protocol === 'HTTPS' && b.port === a.port &&
        overlap(a.hostname, b.hostname));
    }
  }

  /** Target references of a policy: targetRefs (namespace = the policy's) and targetSelectors (helpers.go `resolvePolicyTargets`). */
  private targets(policy: any, kind: string): { kind: string; namespace: string; name: string; sectionName?: string }[] {
    const ns = nsOf(policy);
    const refs = policy.spec?.targetRef !== undefined ? [policy.spec.targetRef] : policy.spec?.targetRefs ?? [];
    const out = refs.map((r: any) => ({ kind: r.kind, namespace: ns, name: r.name, sectionName: r.sectionName }));
    const selected: any[] = [];
    for (const sel of policy.spec?.targetSelectors ?? []) {
      for (const obj of this.docs.filter(d => isGwApi(d, sel.kind))) {
        const from = sel.namespaces?.from ?? 'Same';
        const nsDoc = this.docs.find(d => d.kind === 'Namespace' && d.metadata?.name === nsOf(obj));
        const nsLabels = { 'kubernetes.io/metadata.name': nsOf(obj), ...(nsDoc?.metadata?.labels ?? {}) };
        const nsOk = from === 'All' || (from === 'Same' && nsOf(obj) === ns) ||
          (from === 'Selector' && Object.entries(sel.namespaces?.selector?.matchLabels ?? {}).every(([k, v]) => (nsLabels as any)[k] === v));
        const labelsOk = Object.entries(sel.matchLabels ?? {}).every(([k, v]) => obj.metadata?.labels?.[k] === v);
        if (sel.matchExpressions !== undefined) {
          throw new Error('the model does not know targetSelectors.matchExpressions');
        }
        const to = { group: GW, kind: sel.kind, namespace: nsOf(obj), name: obj.metadata.name };
        if (nsOk && labelsOk && this.granted({ group: EG, kind, namespace: ns }, to)) {
          selected.push(obj);
        }
      }
    }
    // helpers.go `composePolicyTargetRefs`: selected targets first (by their creation), then targetRefs
    const fromSelectors = selected.sort(byCreation).map(o => ({ kind: o.kind, namespace: nsOf(o), name: o.metadata.name }));
    const same = (a: any, b: any) => a.kind === b.kind && a.namespace === b.namespace && a.name === b.name && a.sectionName === b.sectionName;
    return [...fromSelectors, ...out.filter((r: any) => !fromSelectors.some(s => same(s, r)))];
  }

  /**
   * internal/gatewayapi/clienttrafficpolicy.go `ProcessClientTrafficPolicies`: policies with a
   * sectionName first (one per listener, later ones Conflicted), then whole-Gateway ones on the
   * listeners not yet taken; a listener-level policy on a plain HTTP port shared by other
   * listeners is refused (`validatePortOverlapForClientTrafficPolicy`). No merging.
   */
  private attachClientTrafficPolicies(): void {
    const ctps = this.docs.filter(d => isEg(d, 'ClientTrafficPolicy')).sort(byCreation);
    const claimed = new Set<string>();
    let whole = false;
    const gwKey = keyOf(this.gateway);
    for (const pass of ['section', 'gateway']) {
      for (const p of ctps) {
        for (const t of this.targets(p, 'ClientTrafficPolicy')) {
          if (t.kind !== 'Gateway' || `${t.namespace}/${t.name}` !== gwKey || (pass === 'section') !== (t.sectionName !== undefined)) {
            continue;
          }
          const status = (condition: PolicyStatus['condition'], message?: string) =>
            this.statuses.push({ policy: keyOf(p), kind: 'ClientTrafficPolicy', target: `Gateway ${gwKey}${t.sectionName ? `/${t.sectionName}` : ''}`, condition, message });
          if (t.sectionName !== undefined) {
            const l = this.listeners.find(x => x.name === t.sectionName);
            if (!l) {
              status('TargetNotFound', `no listener ${t.sectionName}`);
            } else if (claimed.has(l.name)) {
              status('Conflicted', 'another ClientTrafficPolicy has already attached to it');
            } else if (l.protocol === 'HTTP' && this.listeners.some(x => x !== l && x.ready && x.protocol === 'HTTP' && x.port === l.port)) {
              claimed.add(l.name);
              status('Invalid', 'ClientTrafficPolicy is being applied to multiple http (non https) listeners on the same port');
            } else {
              claimed.add(l.name);
              l.ctp = p;
              status('Accepted');
            }
          } else if (whole) {
            status('Conflicted', 'another ClientTrafficPolicy has already attached to it');
          } else {
            whole = true;
            for (const l of this.listeners.filter(x => !claimed.has(x.name))) {
              l.ctp = p;
            }
            status('Accepted');
          }
        }
      }
    }
  }

  /** route.go `processAllowedListenersForParentRefs`, `processHTTPRouteParentRefListener`; contexts.go `AllowsKind`, `AllowsNamespace`. */
  private attachRoute(route: any): void {
    const ns = nsOf(route);
    const gwKey = keyOf(this.gateway);
    const seen = new Set<Listener>();
    for (const ref of route.spec?.parentRefs ?? []) {
      if ((ref.kind ?? 'Gateway') !== 'Gateway' || (ref.group ?? GW) !== GW || `${ref.namespace ?? ns}/${ref.name}` !== gwKey) {
        continue;
      }
      for (const l of this.listeners) {
        const spec = (this.gateway.spec.listeners as any[]).find(x => x.name === l.name);
        if ((ref.sectionName !== undefined && ref.sectionName !== l.name) || (ref.port !== undefined && ref.port !== l.port) || seen.has(l)) {
          continue;
        }
        const kinds: any[] | undefined = spec.allowedRoutes?.kinds;
        const kindOk = kinds === undefined ? ['HTTPRoute', 'GRPCRoute'].includes(route.kind)
          : kinds.some(k => k.kind === route.kind && (k.group ?? GW) === GW);
        const from = spec.allowedRoutes?.namespaces?.from ?? 'Same';
        const nsLabels: any = { 'kubernetes.io/metadata.name': ns, ...(this.docs.find(d => d.kind === 'Namespace' && d.metadata?.name === ns)?.metadata?.labels ?? {}) };
        const nsOk = from === 'All' || (from === 'Same' && ns === nsOf(this.gateway)) ||
          (from === 'Selector' && Object.entries(spec.allowedRoutes.namespaces.selector?.matchLabels ?? {}).every(([k, v]) => nsLabels[k] === v));
        if (!kindOk || !nsOk) {
          continue;
        }
        seen.add(l);
        const hosts = computeHosts(route.spec?.hostnames ?? [], l, this.listeners);
        if (!l.ready) {
          continue;
        }
        for (const host of hosts) {
          (route.spec?.rules ?? []).forEach((rule: any, i: number) => l.routes.push(...this.irRoutes(route, rule, i, host, l)));
        }
      }
    }
  }

  /** route.go `processHTTPRouteRule` / `processGRPCRouteRule`: one IR route per match (one for a rule without matches). */
  private irRoutes(route: any, rule: any, ruleIndex: number, hostname: string, listener: Listener): IrRoute[] {
    const ns = nsOf(route);
    const set: { [name: string]: string } = {};
    const add: { [name: string]: string } = {};
    const remove: string[] = [];
    let redirect: number | undefined;
    for (const f of rule.filters ?? []) {
      if (f.type === 'RequestHeaderModifier') {
        for (const h of f.requestHeaderModifier?.set ?? []) {
          set[h.name.toLowerCase()] = h.value;
        }
        for (const h of f.requestHeaderModifier?.add ?? []) {
          add[h.name.toLowerCase()] = h.value;
        }
        remove.push(...(f.requestHeaderModifier?.remove ?? []).map((h: string) => h.toLowerCase()));
      } else if (f.type === 'RequestRedirect') {
        redirect = f.requestRedirect?.statusCode ?? 302;
      } else if (f.type !== 'ResponseHeaderModifier') {
        throw new Error(`the model does not know route filter ${f.type}`);
      }
    }
    // route.go `processDestination`, validate.go `validateBackendRef`: a Service (ReferenceGrant across
    // namespaces); no valid backend is a 500 direct response
    let backend: string | undefined;
    let direct: IrRoute['direct'];
    const refs = (rule.backendRefs ?? []).filter((b: any) => b.weight !== 0);
    for (const b of refs) {
      const bns = b.namespace ?? ns;
      const ok = (b.group ?? '') === '' && (b.kind ?? 'Service') === 'Service' && this.serviceExists(bns, b.name, b.port) &&
        this.granted({ group: GW, kind: route.kind, namespace: ns }, { group: '', kind: 'Service', namespace: bns, name: b.name });
      if (ok && backend === undefined) {
        backend = `${bns}/${b.name}:${b.port}`;
      }
    }
    if (backend === undefined && redirect === undefined) {
      direct = { status: 500, why: 'no valid backendRef (route.go: 500 direct response)' };
    }
    const base = {
      kind: route.kind,
      routeKey: `${route.kind}/${ns}/${route.metadata.name}`,
      route,
      ruleIndex,
      sectionName: rule.name,
      hostname,
      listener,
      backend,
      direct,
      redirect,
      set,
      add,
      remove,
      ruleTimeout: rule.timeouts?.request ?? (rule.retry === undefined ? rule.timeouts?.backendRequest : undefined),
    };
    const matches: any[] = rule.matches ?? [];
    if (matches.length === 0) {
      return [{ ...base, headerMatches: [], queryMatches: [] }];
    }
    return matches.map(m => {
      const headerMatches: StringMatch[] = (m.headers ?? []).map((h: any) => (h.type ?? 'Exact') === 'Exact'
        ? { name: h.name.toLowerCase(), exact: h.value } : { name: h.name.toLowerCase(), regex: h.value });
      const queryMatches: StringMatch[] = (m.queryParams ?? []).map((q: any) => (q.type ?? 'Exact') === 'Exact'
        ? { name: q.name, exact: q.value } : { name: q.name, regex: q.value });
      let pathMatch: StringMatch | undefined;
      if (route.kind === 'GRPCRoute') {
        // route.go `processGRPCRouteMethodExact` / `processGRPCRouteMethodRegularExpression`
        const meth = m.method;
        if (meth !== undefined) {
          const re = (meth.type ?? 'Exact') === 'RegularExpression';
          if (meth.service !== undefined && meth.method !== undefined) {
            pathMatch = re ? { regex: `/${meth.service}/${meth.method}` } : { exact: `/${meth.service}/${meth.method}` };
          } else if (meth.method !== undefined) {
            if (re) {
              pathMatch = { regex: `/[^/]+/${meth.method}` };
            } else {
              headerMatches.push({ name: ':path', suffix: `/${meth.method}` });
            }
          } else if (meth.service !== undefined) {
            pathMatch = re ? { regex: `/${meth.service}/[^/]+` } : { prefix: `/${meth.service}` };
          }
        }
      } else {
        if (m.path !== undefined) {
          const value = m.path.value ?? '/';
          const type = m.path.type ?? 'PathPrefix';
          pathMatch = type === 'Exact' ? { exact: value } : type === 'RegularExpression' ? { regex: value } : { prefix: value };
        }
        if (m.method !== undefined) {
          headerMatches.push({ name: ':method', exact: m.method });
        }
      }
      return { ...base, pathMatch, headerMatches, queryMatches };
    });
  }

  /**
   * securitypolicy.go `ProcessSecurityPolicies`: policies targeting route rules, then routes, then
   * Gateway listeners, then Gateways; `resolveSecurityPolicy*TargetRef` (Conflicted when another
   * policy already attached to the same target); `translateSecurityPolicyForRoute` /
   * `translateSecurityPolicyForListeners` set a route's features only if no more specific policy
   * did (`if r.Security != nil { continue }`), so the features are replaced, not merged, unless the
   * route policy has `mergeType` (`mergeSecurityPolicy`, with the listener's, else the Gateway's policy).
   */
  private attachSecurityPolicies(): void {
    const policies = this.docs.filter(d => isEg(d, 'SecurityPolicy')).sort(byCreation);
    const gwKey = keyOf(this.gateway);
    const routeAttached = new Set<string>();
    const listenerAttached = new Set<string>();
    let gatewayAttached = false;
    const all = this.listeners.flatMap(l => l.routes);
    const status = (p: any, target: string, condition: PolicyStatus['condition'], message?: string) =>
      this.statuses.push({ policy: keyOf(p), kind: 'SecurityPolicy', target, condition, message });
    // securitypolicy.go `buildGatewayPolicyMapForSecurity`: the first policy of each Gateway / listener, for merging
    const parentPolicy = new Map<string, any>();
    for (const p of policies) {
      for (const t of this.targets(p, 'SecurityPolicy')) {
        const k = t.sectionName ?? '';
        if (t.kind === 'Gateway' && `${t.namespace}/${t.name}` === gwKey && !parentPolicy.has(k) &&
            (t.sectionName === undefined || this.listeners.some(l => l.name === t.sectionName))) {
          parentPolicy.set(k, p);
        }
      }
    }
    const routeKinds = ['HTTPRoute', 'GRPCRoute'];
    const passes: ((t: any) => boolean)[] = [
      t => routeKinds.includes(t.kind) && t.sectionName !== undefined,
      t => routeKinds.includes(t.kind) && t.sectionName === undefined,
      t => t.kind === 'Gateway' && t.sectionName !== undefined,
      t => t.kind === 'Gateway' && t.sectionName === undefined,
    ];
    for (const [pass, selects] of passes.entries()) {
      for (const p of policies) {
        for (const t of this.targets(p, 'SecurityPolicy').filter(selects)) {
          const target = `${t.kind} ${t.namespace}/${t.name}${t.sectionName ? `/${t.sectionName}` : ''}`;
          if (pass < 2) {
            const route = this.routes.find(r => r.kind === t.kind && nsOf(r) === t.namespace && r.metadata.name === t.name);
            if (!route) {
              continue; // securitypolicy.go: "not necessarily an error", no status
            }
            const key = `${t.kind}/${t.namespace}/${t.name}${t.sectionName ? `/${t.sectionName}` : ''}`;
            if (t.sectionName !== undefined && !(route.spec?.rules ?? []).some((r: any) => r.name === t.sectionName)) {
              status(p, target, 'TargetNotFound', `no rule ${t.sectionName}`);
              continue;
            }
            if (routeAttached.has(key)) {
              status(p, target, 'Conflicted', `Unable to target ${t.kind} ${t.name}, another SecurityPolicy has already attached to it`);
              continue;
            }
            routeAttached.add(key);
            const irs = all.filter(r => r.routeKey === `${t.kind}/${t.namespace}/${t.name}` && (t.sectionName === undefined || r.sectionName === t.sectionName));
            let invalid = false;
            for (const r of irs.filter(x => x.security === undefined)) {
              const parent = p.spec?.mergeType !== undefined ? parentPolicy.get(r.listener.name) ?? parentPolicy.get('') : undefined;
              r.security = this.security(parent ? [p, parent] : [p]);
              invalid ||= r.security.error500 !== undefined;
            }
            status(p, target, invalid ? 'Invalid' : 'Accepted');
          } else {
            if (`${t.namespace}/${t.name}` !== gwKey) {
              continue;
            }
            if (t.sectionName !== undefined && !this.listeners.some(l => l.name === t.sectionName)) {
              status(p, target, 'TargetNotFound', `no listener ${t.sectionName}`);
              continue;
            }
            if (t.sectionName !== undefined ? listenerAttached.has(t.sectionName) : gatewayAttached) {
              status(p, target, 'Conflicted', `Unable to target ${target}, another SecurityPolicy has already attached to it`);
              continue;
            }
            if (t.sectionName !== undefined) {
              listenerAttached.add(t.sectionName);
            } else {
              gatewayAttached = true;
            }
            const sec = this.security([p]);
            for (const l of this.listeners.filter(x => t.sectionName === undefined || x.name === t.sectionName)) {
              for (const r of l.routes.filter(x => x.security === undefined)) {
                r.security = sec;
              }
            }
            status(p, target, sec.error500 ? 'Invalid' : 'Accepted');
          }
        }
      }
    }
  }

  /**
   * The features of a policy (`[route policy, parent policy]` when merged). securitypolicy.go
   * `translateSecurityPolicyForRoute`: any error makes the route answer 500, "to avoid
   * unauthorized access", unless the only error is the ExtAuth's and `extAuth.failOpen` is true:
   * then the ExtAuth is left out.
   */
  private security(policies: any[]): Security {
    const [own, parent] = policies;
    const name = policies.map(keyOf).join('+');
    // utils.Merge (internal/utils/merge.go): JSONMerge is RFC 7386; StrategicMerge replaces these lists too
    const spec = parent === undefined ? own.spec : mergePatch(parent.spec, own.spec);
    const ownerNs = (field: string) => nsOf(parent !== undefined && own.spec?.[field] === undefined ? parent : own);
    const errors: string[] = [];
    let extAuthError: string | undefined;
    for (const unknown of ['oidc', 'apiKeyAuth']) {
      if (spec[unknown] !== undefined) {
        throw new Error(`the model does not know SecurityPolicy ${unknown}`);
      }
    }
    let jwt: Security['jwt'];
    if (spec.jwt !== undefined) {
      try {
        jwt = { providers: (spec.jwt.providers ?? []).map((p: any) => this.jwtProvider(p, ownerNs('jwt'))), optional: spec.jwt.optional === true, failOpen: spec.jwt.failOpen === true };
        const names = jwt.providers.map(p => p.name);
        if (names.some((n, i) => n === '' || names.indexOf(n) !== i)) {
          throw new Error('jwt provider names must be unique and not empty');
        }
      } catch (e) {
        errors.push(`JWT: ${(e as Error).message}`);
      }
    }
    let basicAuth: Security['basicAuth'];
    if (spec.basicAuth !== undefined) {
      try {
        basicAuth = this.basicAuth(spec.basicAuth, ownerNs('basicAuth'));
      } catch (e) {
        errors.push(`BasicAuth: ${(e as Error).message}`);
      }
    }
    let extAuth: Security['extAuth'];
    if (spec.extAuth !== undefined) {
      try {
        extAuth = this.extAuthService(spec.extAuth, ownerNs('extAuth'));
      } catch (e) {
        extAuthError = `ExtAuth: ${(e as Error).message}`;
      }
    }
    const failOpen = extAuthError !== undefined && errors.length === 0 && spec.extAuth?.failOpen === true;
    const error500 = (errors.length > 0 || extAuthError !== undefined) && !failOpen ? [...errors, extAuthError].filter(x => x).join('; ') : undefined;
    return { policy: name, cors: spec.cors, jwt, basicAuth, extAuth, authorization: spec.authorization, error500 };
  }

  /** securitypolicy.go `buildJWT`, `validateJWTProvider`, `buildLocalJWKS` (ConfigMap key `jwks`, else its first value). */
  private jwtProvider(p: any, ns: string): JwtProviderConfig {
    if (p.issuer && p.issuer.includes(':') && !/^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$/.test(p.issuer)) {
      throw new Error('invalid issuer; when issuer contains \':\' character, it MUST be a valid URI');
    }
    if ((p.remoteJWKS === undefined) === (p.localJWKS === undefined)) {
      throw new Error(`either remoteJWKS or localJWKS must be specified for jwt provider: ${p.name}`);
    }
    let jwks: { keys: any[] } | undefined;
    if (p.remoteJWKS !== undefined) {
      if (!/^https?:\/\/[^\s/]+/.test(p.remoteJWKS.uri ?? '')) {
        throw new Error(`invalid remote JWKS URI: ${p.remoteJWKS.uri}`);
      }
      jwks = this.opts.jwksFor?.(p.remoteJWKS.uri);
    } else {
      let text: string | undefined;
      if ((p.localJWKS.type ?? 'Inline') === 'Inline') {
        text = p.localJWKS.inline;
        if (text === undefined) {
          throw new Error(`inline JWKS must be set for local JWKS provider: ${p.name} if type is Inline`);
        }
      } else {
        const cm = this.find('ConfigMap', ns, p.localJWKS.valueRef?.name);
        if (!cm) {
          throw new Error(`local JWKS ConfigMap ${ns}/${p.localJWKS.valueRef?.name} not found`);
        }
        text = cm.data?.jwks ?? Object.values(cm.data ?? {})[0] as string | undefined;
        if (text === undefined) {
          throw new Error('JWKS data not found in ConfigMap');
        }
      }
      try {
        jwks = JSON.parse(text);
      } catch {
        jwks = { keys: [] }; // Envoy: the provider has no valid keys (JwksNoValidKeys)
      }
    }
    return {
      name: p.name ?? '',
      issuer: p.issuer ?? '',
      audiences: p.audiences,
      jwks,
      claimToHeaders: (p.claimToHeaders ?? []).map((c: any) => ({ header: c.header.toLowerCase(), claim: c.claim })),
      extractFrom: p.extractFrom,
    };
  }

  /** securitypolicy.go `buildBasicAuth`, `validateHtpasswdFormat`: `.htpasswd` lines of `user:{SHA}<base64 SHA-1>`. */
  private basicAuth(b: any, ns: string): Security['basicAuth'] {
    const sns = b.users?.namespace ?? ns;
    if (!this.granted({ group: EG, kind: 'SecurityPolicy', namespace: ns }, { group: '', kind: 'Secret', namespace: sns, name: b.users?.name })) {
      throw new Error(`Secret ${sns}/${b.users?.name} of another namespace without a ReferenceGrant`);
    }
    const secret = this.find('Secret', sns, b.users?.name);
    if (!secret) {
      throw new Error(`secret ${sns}/${b.users?.name} does not exist`);
    }
    const text = secretValue(secret, '.htpasswd');
    if (!text) {
      throw new Error(`secret ${sns}/${b.users.name} must contain a non-empty ".htpasswd" key`);
    }
    const users = new Map<string, string>();
    for (const line of text.replace(/\r\n/g, '\n').split('\n').map(s => s.trim()).filter(s => s !== '')) {
      const at = line.indexOf(':');
      const hash = at < 0 ? '' : line.slice(at + 1);
      if (at < 0 || !hash.startsWith('{SHA}') || Buffer.from(hash.slice(5), 'base64').length !== 20) {
        throw new Error('invalid htpasswd format: only user:{SHA}<base64 SHA-1> lines');
      }
      users.set(line.slice(0, at), hash.slice(5));
    }
    return { users, forwardUsernameHeader: b.forwardUsernameHeader };
  }

  /** securitypolicy.go `buildExtAuth`, ext_service.go `translateExtServiceBackendRefs`, validate.go `validateExtServiceBackendReference`. */
  private extAuthService(e: any, ns: string): Security['extAuth'] {
    const svc = e.grpc ?? e.http;
    if ((e.grpc === undefined) === (e.http === undefined)) {
      throw new Error('one of grpc or http must be specified');
    }
    const refs = svc.backendRefs ?? (svc.backendRef ? [svc.backendRef] : []);
    if (refs.length === 0) {
      throw new Error('no backendRefs found for external service');
    }
    let first: string | undefined;
    for (const r of refs) {
      const rns = r.namespace ?? ns;
      if ((r.kind ?? 'Service') !== 'Service') {
        throw new Error(`the model does not know backendRef kind ${r.kind}`);
      }
      if (r.port === undefined) {
        throw new Error('a valid port number corresponding to a port on the Service must be specified');
      }
      if (!this.serviceExists(rns, r.name, r.port)) {
        throw new Error(`service ${rns}/${r.name} with TCP port ${r.port} not found`);
      }
      if (!this.granted({ group: EG, kind: 'SecurityPolicy', namespace: ns }, { group: '', kind: 'Service', namespace: rns, name: r.name })) {
        throw new Error(`backendRef ${rns}/${r.name} of another namespace without a ReferenceGrant`);
      }
      first ??= `${rns}/${r.name}:${r.port}`;
    }
    return { spec: e, service: first! };
  }

  /** backendtrafficpolicy.go `ProcessBackendTrafficPolicies`: the same order and precedence, for the timeout only. */
  private attachBackendTrafficPolicies(): void {
    const btps = this.docs.filter(d => isEg(d, 'BackendTrafficPolicy')).sort(byCreation);
    const all = this.listeners.flatMap(l => l.routes);
    const gwKey = keyOf(this.gateway);
    const taken = new Set<string>();
    const passes: ((t: any) => boolean)[] = [
      t => t.kind !== 'Gateway' && t.sectionName !== undefined, t => t.kind !== 'Gateway' && t.sectionName === undefined,
      t => t.kind === 'Gateway' && t.sectionName !== undefined, t => t.kind === 'Gateway' && t.sectionName === undefined,
    ];
    for (const selects of passes) {
      for (const p of btps) {
        for (const t of this.targets(p, 'BackendTrafficPolicy').filter(selects)) {
          const key = `${t.kind}/${t.namespace}/${t.name}/${t.sectionName ?? ''}`;
          if (taken.has(key)) {
            this.statuses.push({ policy: keyOf(p), kind: 'BackendTrafficPolicy', target: key, condition: 'Conflicted' });
            continue;
          }
          taken.add(key);
          const hit = t.kind === 'Gateway'
            ? all.filter(r => `${t.namespace}/${t.name}` === gwKey && (t.sectionName === undefined || r.listener.name === t.sectionName))
            : all.filter(r => r.routeKey === `${t.kind}/${t.namespace}/${t.name}` && (t.sectionName === undefined || r.sectionName === t.sectionName));
          for (const r of hit.filter(x => x.btp === undefined)) {
            r.btp = p;
          }
          this.statuses.push({ policy: keyOf(p), kind: 'BackendTrafficPolicy', target: key, condition: 'Accepted' });
        }
      }
    }
  }

  /** The request through the proxy of the Gateway. */
  public async handle(req: EnvoyGatewayRequest): Promise<EnvoyGatewayOutcome> {
    const port = req.port ?? (req.scheme === 'https' ? 443 : 80);
    const onPort = this.listeners.filter(l => l.ready && l.port === port);
    if (onPort.length === 0) {
      const why = this.listeners.filter(l => l.port === port).map(l => `${l.name}: ${l.why}`).join('; ');
      return answered(0, `no programmed listener on port ${port}${why ? ` (${why})` : ''}`);
    }
    const tls = onPort[0].protocol === 'HTTPS';
    if ((req.scheme === 'https') !== tls) {
      return answered(0, tls ? 'plain HTTP to a TLS listener' : 'TLS to a plain HTTP listener');
    }
    const headers = lowerHeaders(req.headers);
    const contentType = headers['content-type'] ?? '';
    const grpc = contentType.startsWith('application/grpc') && !contentType.startsWith('application/grpc-web');
    let chain = onPort;
    if (tls) {
      const l = selectFilterChain(onPort, (req.sni ?? req.authority.replace(/:\d*$/, '').replace(/\.$/, '')).toLowerCase());
      if (!l) {
        return answered(0, 'no filter chain for the SNI');
      }
      const refused = tlsRefusal(l, req, grpc);
      if (refused) {
        return { ...answered(0, refused), listener: l.key };
      }
      chain = [l];
    }
    const ctp = chain[0].ctp?.spec ?? {};
    const listener = chain.map(l => l.key).join(', ');
    // listener.go `buildHeadersWithUnderscoresAction`: REJECT_REQUEST unless a ClientTrafficPolicy says otherwise
    const underscores = ctp.headers?.withUnderscoresAction ?? 'RejectRequest';
    if (Object.keys(headers).some(h => h.includes('_'))) {
      if (underscores === 'RejectRequest') {
        return { ...answered(400, 'header name with an underscore (REJECT_REQUEST)'), listener };
      }
      if (underscores === 'DropHeader') {
        for (const h of Object.keys(headers).filter(k => k.includes('_'))) {
          delete headers[h];
        }
      }
    }
    // listener.go `addHCMToXDSListener`: normalize_path true; gatewayapi/listener.go: merge_slashes, UnescapeAndRedirect;
    // clienttrafficpolicy.go `translatePathSettings`
    const escaped: string = ctp.path?.escapedSlashesAction ?? 'UnescapeAndRedirect';
    const path = normalizePath(req.path, {
      normalizePath: true,
      mergeSlashes: ctp.path?.disableMergeSlashes !== true,
      escapedSlashes: escaped.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase(),
    }, grpc);
    if (typeof path !== 'string') {
      return { ...path, listener };
    }
    // clienttrafficpolicy.go `translateListenerHeaderSettings` (headers.host.stripTrailingHostDot)
    let authority = req.authority;
    if (ctp.headers?.host?.stripTrailingHostDot === true) {
      authority = authority.replace(/\.(:\d*)?$/, '$1');
    }
    const route = findRoute(chain, authority, req.method, path, headers);
    if (!route) {
      return { ...answered(404, `no virtual host or route for ${req.authority}${path}`), listener };
    }
    const routeName = `${route.kind} ${nsOf(route.route)}/${route.route.metadata.name} rule ${route.ruleIndex}`;
    const sec = route.security;
    const base = { listener, route: routeName, securityPolicy: sec?.policy };
    // the HTTP filters run before the router, whose route action may be a direct response or a redirect
    const denied = await this.filters(sec, req, authority, path, headers);
    if (denied) {
      return { ...denied, ...base };
    }
    if (sec?.error500) {
      return { ...answered(500, `SecurityPolicy ${sec.policy} is invalid: ${sec.error500} (securitypolicy.go: 500 direct response)`), ...base };
    }
    if (route.direct) {
      return { ...answered(route.direct.status, route.direct.why), ...base };
    }
    if (route.redirect !== undefined) {
      return { ...answered(route.redirect, 'RequestRedirect'), ...base };
    }
    // router: the route's header modifications, x-forwarded-proto from the connection (use_remote_address)
    for (const h of route.remove) {
      delete headers[h];
    }
    Object.assign(headers, route.set);
    for (const [k, v] of Object.entries(route.add)) {
      headers[k] = headers[k] === undefined ? v : `${headers[k]},${v}`;
    }
    headers['x-forwarded-proto'] = req.scheme;
    // xds/translator/route.go `getEffectiveRequestTimeout`: Gateway API timeouts, then the BackendTrafficPolicy; else none set (Envoy's 15s)
    const requestTimeout = route.ruleTimeout ?? route.btp?.spec?.timeout?.http?.requestTimeout ?? '15s';
    return {
      status: 200,
      backend: route.backend,
      path,
      headers: { ...headers, ':authority': authority },
      ...base,
      requestTimeout,
      why: `${routeName} on ${route.hostname}${sec ? ` with ${sec.policy}` : ' without a SecurityPolicy'}`,
    };
  }

  /** The security filters of a route, in httpfilters.go `newOrderedHTTPFilter` order: the answer when one refuses. */
  private async filters(sec: Security | undefined, req: EnvoyGatewayRequest, authority: string, path: string,
    headers: { [name: string]: string }): Promise<Outcome | undefined> {
    if (!sec) {
      return undefined;
    }
    // cors (order 3; xds/translator/cors.go: forward_not_matching_preflights false): every preflight is answered here
    if (sec.cors !== undefined && req.method === 'OPTIONS' && headers.origin && headers['access-control-request-method']) {
      const ok = (sec.cors.allowOrigins ?? []).some((o: string) => (o.includes('*') ? fullMatch(o.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*'), headers.origin) : o === headers.origin));
      return answered(200, `cors: preflight answered locally (${ok ? 'allowed' : 'not allowed'} origin)`);
    }
    // ext_authz (order 6; xds/translator/extauth.go `extAuthConfig`)
    if (sec.extAuth) {
      const e = sec.extAuth.spec;
      const protocol = e.grpc !== undefined ? 'grpc' : 'http';
      // ext_auth_types.go HeadersToExtAuth: gRPC gets every header by default; HTTP only Host, Method, Path, Content-Length, Authorization
      const wanted: string[] | undefined = e.headersToExtAuth?.map((h: string) => h.toLowerCase());
      const always = protocol === 'http' ? ['authorization', 'content-length'] : [];
      const sent = Object.fromEntries(Object.entries(headers).filter(([k]) =>
        (wanted === undefined && protocol === 'grpc') || (wanted ?? []).includes(k) || always.includes(k)));
      const answer = this.opts.extAuth?.({ policy: sec.policy, protocol, service: sec.extAuth.service, method: req.method, path, authority, headers: sent }) ?? 'unreachable';
      if (answer === 'unreachable') {
        // ext_authz `failure_mode_allow` = failOpen (default false); `status_on_error` (Envoy's default 403)
        if (e.failOpen !== true) {
          return answered(e.statusOnError ?? 403, 'ext_authz: authorization service unreachable (failOpen false)');
        }
      } else if (!answer.allow) {
        return answered(answer.status ?? 403, 'ext_authz: denied');
      } else if (protocol === 'http') {
        // HTTPExtAuthService.headersToBackend: only the listed response headers reach the backend
        for (const h of (e.http.headersToBackend ?? []).map((x: string) => x.toLowerCase())) {
          if (answer.headers?.[h] !== undefined) {
            headers[h] = answer.headers[h];
          }
        }
      } else {
        Object.assign(headers, lowerHeaders(answer.headers ?? {}));
      }
    }
    // basic_auth (order 8; envoy source/extensions/filters/http/basic_auth/basic_auth_filter.cc)
    if (sec.basicAuth) {
      const auth = headers.authorization ?? '';
      if (!auth.startsWith('Basic ')) {
        return answered(401, 'basic_auth: missing username and password');
      }
      const decoded = Buffer.from(auth.slice(6), 'base64').toString('utf8');
      const at = decoded.indexOf(':');
      const user = at < 0 ? '' : decoded.slice(0, at);
      const stored = sec.basicAuth.users.get(user);
      if (at < 0 || stored === undefined || createHash('sha1').update(decoded.slice(at + 1), 'utf8').digest('base64') !== stored) {
        return answered(401, 'basic_auth: invalid username and/or password');
      }
      if (sec.basicAuth.forwardUsernameHeader) {
        headers[sec.basicAuth.forwardUsernameHeader.toLowerCase()] = user;
      }
    }
    // jwt_authn (order 10; xds/translator/jwt.go)
    let claims: { [provider: string]: any } = {};
    if (sec.jwt && sec.jwt.providers.length > 0) {
      const r = await jwtAuthn(sec.jwt, headers, path);
      if ('status' in r) {
        return r;
      }
      claims = r.claims;
    }
    // rbac (order 301; xds/translator/authorization.go): first matching rule decides, else defaultAction (Deny)
    if (sec.authorization !== undefined) {
      const rule = (sec.authorization.rules ?? []).find((x: any) => authorizationRuleMatches(x, req.method, path, headers, claims));
      const action = rule?.action ?? sec.authorization.defaultAction ?? 'Deny';
      if (action !== 'Allow') {
        return answered(403, `rbac: ${rule ? `rule ${rule.name ?? ''}` : 'default action'} denies`);
      }
    }
    return undefined;
  }
}

/** helpers.go `computeHosts`: the route's hostnames that intersect the listener's, less other listeners' hostnames on the port. */
function computeHosts(routeHostnames: string[], l: Listener, all: Listener[]): string[] {
  const lh = l.hostname;
  if (routeHostnames.length === 0) {
    return [lh ?? '*'];
  }
  const out = new Set<string>();
  for (const rh of routeHostnames) {
    if (lh === undefined || lh === rh) {
      out.add(rh);
    } else if (lh.startsWith('*') && rh.startsWith('*')) {
      if (wildcardMatches(rh, lh)) {
        out.add(lh);
      }
      if (wildcardMatches(lh, rh)) {
        out.add(rh);
      }
    } else if (lh.startsWith('*')) {
      if (wildcardMatches(lh, rh)) {
        out.add(rh);
      }
    } else if (rh.startsWith('*') && wildcardMatches(rh, lh)) {
      out.add(lh);
    }
  }
  for (const other of all) {
    if (other !== l && other.port === l.port && other.hostname !== undefined) {
      out.delete(other.hostname);
    }
  }
  return [...out].sort();
}

/** sort.go `XdsIRRoutes.Less` with `sortXdsIRMap` (`sort.Stable(sort.Reverse(...))`): most specific first. */
function sortRoutes(routes: IrRoute[]): void {
  const typeOf = (m?: StringMatch) => (m === undefined ? undefined : m.exact !== undefined ? 3 : m.regex !== undefined ? 2 : 1);
  const count = (m?: StringMatch) => (m === undefined ? '' : m.exact ?? m.regex ?? (m.prefix === '/' ? '' : m.prefix) ?? '').length;
  const exacts = (ms: StringMatch[]) => ms.filter(m => m.exact !== undefined).length;
  const less = (a: IrRoute, b: IrRoute): boolean => {
    const ta = typeOf(a.pathMatch);
    const tb = typeOf(b.pathMatch);
    if (ta !== undefined && tb !== undefined && ta !== tb) {
      return ta < tb;
    }
    const keys = (r: IrRoute) => [count(r.pathMatch), r.headerMatches.length, exacts(r.headerMatches), r.queryMatches.length, exacts(r.queryMatches)];
    const ka = keys(a);
    const kb = keys(b);
    for (let i = 0; i < ka.length; i++) {
      if (ka[i] !== kb[i]) {
        return ka[i] < kb[i];
      }
    }
    return false;
  };
  routes.sort((a, b) => (less(b, a) ? -1 : less(a, b) ? 1 : 0));
}

/** Envoy's filter chain match on server_names (listener.go `addServerNamesMatch`): exact, then the longest wildcard, then none. */
function selectFilterChain(listeners: Listener[], sni: string): Listener | undefined {
  const exact = listeners.find(l => l.hostname !== undefined && !l.hostname.startsWith('*') && l.hostname.toLowerCase() === sni);
  if (exact) {
    return exact;
  }
  const wild = listeners.filter(l => l.hostname?.startsWith('*.') && sni.endsWith(l.hostname.slice(1).toLowerCase()))
    .sort((a, b) => b.hostname!.length - a.hostname!.length);
  return wild[0] ?? listeners.find(l => l.hostname === undefined || l.hostname === '*');
}

/** clienttrafficpolicy.go `buildListenerTLSParameters` (TLS 1.2 to 1.3 by default), listener.go `buildALPNProtocols`. */
function tlsRefusal(l: Listener, req: EnvoyGatewayRequest, grpc: boolean): string | undefined {
  const tlsSpec = l.ctp?.spec?.tls ?? {};
  const order = ['1.0', '1.1', '1.2', '1.3'];
  const version = order.indexOf(req.tlsVersion ?? '1.3');
  const min = tlsSpec.minVersion === undefined || tlsSpec.minVersion === 'Auto' ? 2 : order.indexOf(tlsSpec.minVersion);
  const max = tlsSpec.maxVersion === undefined || tlsSpec.maxVersion === 'Auto' ? 3 : order.indexOf(tlsSpec.maxVersion);
  if (version < min || version > max) {
    return `TLS ${order[version]} outside ${order[min]}..${order[max]}`;
  }
  const alpn: string[] = tlsSpec.alpnProtocols ?? (l.tlsOverlaps ? ['http/1.1'] : ['h2', 'http/1.1']);
  if (grpc && !alpn.includes('h2')) {
    return `gRPC needs ALPN h2; the listener offers ${alpn.join(', ') || 'none'}`;
  }
  const cv = tlsSpec.clientValidation;
  if (cv !== undefined) {
    const mode = cv.mode ?? (cv.optional ? 'VerifyIfGiven' : 'RequireAndVerify');
    if ((mode === 'RequireAndVerify' || mode === 'RequireAny') && req.clientCertificate === undefined) {
      return 'no client certificate';
    }
    if ((mode === 'RequireAndVerify' || mode === 'VerifyIfGiven') && req.clientCertificate === 'invalid') {
      return 'invalid client certificate';
    }
  }
  return undefined;
}

/** envoy source/common/router/config_impl.cc `findVirtualHost` (domains lowercased, port ignored), then the first route that matches. */
function findRoute(chain: Listener[], authority: string, method: string, path: string, headers: { [name: string]: string }): IrRoute | undefined {
  const host = authority.replace(/:\d*$/, '').toLowerCase();
  const vhosts = new Map<string, IrRoute[]>();
  for (const l of chain) {
    for (const r of l.routes) {
      const d = r.hostname.toLowerCase();
      vhosts.set(d, [...(vhosts.get(d) ?? []), r]);
    }
  }
  const domains = [...vhosts.keys()];
  const suffix = domains.filter(d => d.startsWith('*') && d !== '*' && host.endsWith(d.slice(1)) && host.length > d.length - 1)
    .sort((a, b) => b.length - a.length);
  const domain = vhosts.has(host) ? host : suffix[0] ?? (vhosts.has('*') ? '*' : undefined);
  if (domain === undefined) {
    return undefined;
  }
  const bare = path.split('?')[0];
  const value = (name: string) => (name === ':method' ? method : name === ':path' ? path : headers[name]);
  const strMatch = (m: StringMatch, v: string | undefined) => v !== undefined && (m.exact !== undefined ? v === m.exact
    : m.regex !== undefined ? fullMatch(m.regex, v) : m.suffix !== undefined ? v.endsWith(m.suffix) : v.startsWith(m.prefix!));
  return vhosts.get(domain)!.find(r => {
    const pm = r.pathMatch;
    // xds/translator/route.go `buildPathMatch`: PathPrefix "/x/" is path_separated_prefix "/x"
    let pathOk = true;
    if (pm?.exact !== undefined) {
      pathOk = bare === pm.exact;
    } else if (pm?.regex !== undefined) {
      pathOk = fullMatch(pm.regex, bare);
    } else if (pm?.prefix !== undefined && pm.prefix !== '/') {
      const p = pm.prefix.replace(/\/$/, '');
      pathOk = bare.startsWith(p) && (bare.length === p.length || bare[p.length] === '/');
    }
    return pathOk && r.headerMatches.every(m => strMatch(m, value(m.name!))) && r.queryMatches.every(m => strMatch(m, queryParam(path, m.name!)));
  });
}

/** The tokens jwt_authn's extractor finds for a provider (envoy jwt_authn/extractor.cc; EG's default: Bearer and `access_token`). */
function extractTokens(p: JwtProviderConfig, headers: { [name: string]: string }, path: string): string[] {
  if (p.extractFrom === undefined) {
    const t = bearerToken(headers, path, true);
    return t === undefined ? [] : [t];
  }
  const out: string[] = [];
  for (const h of p.extractFrom.headers ?? []) {
    const v = headers[String(h.name).toLowerCase()];
    const prefix: string = h.valuePrefix ?? '';
    const at = v === undefined ? -1 : v.indexOf(prefix);
    const t = at < 0 ? undefined : /^[A-Za-z0-9_\-.]+/.exec(v!.slice(at + prefix.length).replace(/^[^A-Za-z0-9_-]+/, ''))?.[0];
    if (t) {
      out.push(t);
    }
  }
  for (const c of p.extractFrom.cookies ?? []) {
    const v = (headers.cookie ?? '').split(';').map(s => s.trim()).find(s => s.startsWith(`${c}=`));
    if (v) {
      out.push(v.slice(c.length + 1));
    }
  }
  for (const q of p.extractFrom.params ?? []) {
    const v = queryParam(path, q);
    if (v) {
      out.push(v);
    }
  }
  return out;
}

type JwtResult = Outcome | { claims: { [provider: string]: any } };

/**
 * jwt_authn as xds/translator/jwt.go configures it: one requirement per route, `requires_any` of the
 * policy's providers (plus `allow_missing` for `optional`, `allow_missing_or_failed` for `failOpen`),
 * `forward: true` (the token reaches the backend), no `require_expiration`. envoy jwt_authn
 * verifier.cc: a provider's claim headers are removed first (`sanitizePayloadHeaders`); a provider
 * with no issuer takes any `iss`; every token a provider extracts must verify (authenticator.cc
 * `doneWithStatus`); filter.cc `onComplete`: a wrong audience is 403, any other failure 401.
 */
async function jwtAuthn(jwt: NonNullable<Security['jwt']>, headers: HeaderMap, path: string): Promise<JwtResult> {
  for (const p of jwt.providers) {
    for (const c of p.claimToHeaders) {
      delete headers[c.header];
    }
  }
  let last = 'Jwt is missing';
  let anyToken = false;
  for (const p of jwt.providers) {
    const tokens = extractTokens(p, headers, path);
    if (tokens.length === 0) {
      last = 'Jwt is missing';
      continue;
    }
    anyToken = true;
    let claims: any;
    let failed: string | undefined;
    for (const t of tokens) {
      let iss: string | undefined;
      try {
        iss = String(decodeJwt(t).iss ?? '');
      } catch {
        iss = undefined;
      }
      if (p.jwks === undefined) {
        failed = 'Jwks remote fetch is failed';
        break;
      }
      const model: JwtProviderModel = { issuer: p.issuer || (iss ?? ''), audiences: p.audiences, jwks: p.jwks, requireExpiration: false };
      const r = await verifyJwt({ authorization: `Bearer ${t}` }, [model]);
      if (r.kind !== 'valid') {
        failed = r.kind === 'missing' ? 'Jwt is missing' : r.reason;
        break;
      }
      claims = r.claims;
    }
    if (failed === undefined) {
      for (const c of p.claimToHeaders) {
        const v = claimHeaderValue(c.claim.split('.').reduce((o: any, k) => o?.[k], claims));
        if (v !== undefined) {
          headers[c.header] = v;
        }
      }
      return { claims: { [p.name]: claims } };
    }
    last = failed;
  }
  if (jwt.failOpen || (jwt.optional && !anyToken)) {
    return { claims: {} };
  }
  return answered(last === 'audience not allowed' ? 403 : 401, `jwt_authn: ${last}`);
}

/** A SecurityPolicy authorization rule (api/v1alpha1/authorization_types.go): operation, principal and cel must all match. */
function authorizationRuleMatches(rule: any, method: string, path: string, headers: HeaderMap, claims: { [p: string]: any }): boolean {
  const op = rule.operation;
  if (op?.methods !== undefined && !op.methods.includes(method)) {
    return false;
  }
  if (op?.path !== undefined) {
    throw new Error('the model does not know authorization operation.path');
  }
  const pr = rule.principal;
  if (pr?.clientCIDRs !== undefined || pr?.clientIPGeoLocations !== undefined) {
    throw new Error('the model does not know client IP principals');
  }
  if (pr?.headers !== undefined && !pr.headers.every((h: any) => h.values.includes(headers[h.name.toLowerCase()]))) {
    return false;
  }
  if (pr?.jwt !== undefined) {
    const c = claims[pr.jwt.provider];
    if (c === undefined) {
      return false;
    }
    const claimOk = (pr.jwt.claims ?? []).every((x: any) => {
      const v = x.name.split('.').reduce((o: any, k: string) => o?.[k], c);
      const vs = Array.isArray(v) ? v.map(String) : v === undefined ? [] : [String(v)];
      return x.values.some((want: string) => vs.includes(want));
    });
    const granted = String(c.scope ?? c.scp ?? '').split(' ');
    if (!claimOk || !(pr.jwt.scopes ?? []).every((s: string) => granted.includes(s))) {
      return false;
    }
  }
  return rule.cel === undefined || celTrue(rule.cel, { method, path, headers });
}

/**
 * A small subset of CEL as Envoy's rbac evaluates it: `&&`, `||`, `!`, parentheses,
 * `has(request.headers['x'])`, `request.headers['x']`, `request.path`, `request.method`, string
 * `==` / `!=`, `.matches('re')`, `.startsWith('s')`. An error or a non-boolean is no match
 * (authorization_types.go AuthorizationRule.CEL). Anything else throws.
 */
export function celTrue(expr: string, req: { method: string; path: string; headers: { readonly [name: string]: string } }): boolean {
  const tokens = expr.match(/'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|&&|\|\||==|!=|[()[\].!]|[A-Za-z_][A-Za-z0-9_]*|\S/g) ?? [];
  let i = 0;
  const peek = () => tokens[i];
  const next = () => tokens[i++];
  const consume = (t: string) => {
    if (next() !== t) {
      throw new Error(`the model's CEL subset: expected ${t} in ${expr}`);
    }
  };
  const str = (t: string | undefined) => {
    if (t === undefined || !/^['"]/.test(t)) {
      throw new Error(`the model's CEL subset: expected a string in ${expr}`);
    }
    return t.slice(1, -1).replace(/\\(.)/g, '$1');
  };
  const ERR = Symbol('error');
  const select = (): string | typeof ERR => {
    consume('request');
    consume('.');
    const field = next();
    if (field === 'headers') {
      consume('[');
      const name = str(next()).toLowerCase();
      consume(']');
      return req.headers[name] ?? ERR;
    }
    if (field === 'path' || field === 'url_path' || field === 'method') {
      return field === 'method' ? req.method : field === 'path' ? req.path : req.path.split('?')[0];
    }
    throw new Error(`the model's CEL subset does not know request.${field}`);
  };
  const primary = (): boolean | string | typeof ERR => {
    if (peek() === '(') {
      next();
      const v = or();
      consume(')');
      return v;
    }
    if (peek() === 'has') {
      next();
      consume('(');
      const v = select();
      consume(')');
      return v !== ERR;
    }
    if (peek() === 'true' || peek() === 'false') {
      return next() === 'true';
    }
    let v: boolean | string | typeof ERR = /^['"]/.test(peek() ?? '') ? str(next()) : select();
    while (peek() === '.') {
      next();
      const fn = next();
      consume('(');
      const arg = str(next());
      consume(')');
      if (fn !== 'matches' && fn !== 'startsWith') {
        throw new Error(`the model's CEL subset does not know .${fn}()`);
      }
      v = typeof v !== 'string' ? ERR : fn === 'matches' ? new RegExp(arg).test(v) : v.startsWith(arg);
    }
    if (peek() === '==' || peek() === '!=') {
      const op = next();
      const rhs = /^['"]/.test(peek() ?? '') ? str(next()) : select();
      v = v === ERR || rhs === ERR ? ERR : (v === rhs) === (op === '==');
    }
    return v;
  };
  const unary = (): boolean | string | typeof ERR => {
    if (peek() === '!') {
      next();
      const v = unary();
      return typeof v === 'boolean' ? !v : ERR;
    }
    return primary();
  };
  const and = (): boolean | string | typeof ERR => {
    let v = unary();
    while (peek() === '&&') {
      next();
      const w = unary();
      v = v === false || w === false ? false : v === true && w === true ? true : ERR;
    }
    return v;
  };
  const or = (): boolean | string | typeof ERR => {
    let v = and();
    while (peek() === '||') {
      next();
      const w = and();
      v = v === true || w === true ? true : v === false && w === false ? false : ERR;
    }
    return v;
  };
  const result = or();
  if (i !== tokens.length) {
    throw new Error(`the model's CEL subset: unexpected ${peek()} in ${expr}`);
  }
  return result === true;
}

/** RFC 7386 JSON merge patch (internal/utils/merge.go `Merge` with JSONMerge; StrategicMerge differs only for keyed lists). */
function mergePatch(target: any, patch: any): any {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) {
    return patch;
  }
  const out: any = target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) {
      delete out[k];
    } else {
      out[k] = mergePatch(out[k], v);
    }
  }
  return out;
}

const models = new WeakMap<any[], Map<string, EnvoyGatewayModel>>();

/**
 * What Envoy Gateway v1.9.0 does with `request` given the Kubernetes objects `docs` (Gateway,
 * HTTPRoute, GRPCRoute, SecurityPolicy, ClientTrafficPolicy, BackendTrafficPolicy, Secret,
 * ConfigMap, Service, ReferenceGrant, Namespace): the backend it reaches (`namespace/service:port`)
 * or the status the proxy answers (0: the connection fails). The model for `docs` is built once.
 */
export function evaluateEnvoyGateway(docs: any[], request: EnvoyGatewayRequest, opts: EnvoyGatewayOptions = {}): Promise<EnvoyGatewayOutcome> {
  let byOpts = models.get(docs);
  if (!byOpts) {
    byOpts = new Map();
    models.set(docs, byOpts);
  }
  const key = JSON.stringify({ gateway: opts.gateway, presumeExisting: opts.presumeExisting });
  let m = opts.jwksFor === undefined && opts.extAuth === undefined ? byOpts.get(key) : undefined;
  if (!m) {
    m = new EnvoyGatewayModel(docs, opts);
    if (opts.jwksFor === undefined && opts.extAuth === undefined) {
      byOpts.set(key, m);
    }
  }
  return m.handle(request);
}

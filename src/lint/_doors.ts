/**
 * The front-door analysis: every host the manifests route, sent through the model of the data
 * plane that serves it (./model: Istio, Traefik, Envoy, Envoy Gateway, each written from its
 * source), first as a client without credentials sends it, then in every spelling of the attack
 * matrix (host case and port, path spellings, methods, plain HTTP with forged forwarding headers).
 *
 * - The plain request stopped, a spelling through: `front-door-bypass`.
 * - The plain request through although authentication is configured there: `auth-not-enforced`.
 * - The plain request through and no authentication anywhere for it: `unauthenticated-front-door`.
 * - The backend of an authenticated door open to any pod (./model/mesh): `backend-reachable-around-door`.
 */
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { parse as parseYaml } from 'yaml';
import { groupOf, Manifest, ManifestSet, namespaceOf, policySources, ROOT_NAMESPACE, selects } from './_manifests';
import { Finding, finding, RULES } from './_rules';
import { envoyBootstraps, podsOf, routedServices, serviceOf } from './_workloads';
import { EnvoyModel } from './model/envoy';
import { EnvoyGatewayModel } from './model/envoy-gateway';
import { GatewayWorkload, IstioGatewayModel, pathMatches, policyValueMatches } from './model/istio';
import { canConnect, Pod } from './model/mesh';
import { Outcome } from './model/outcome';
import { AttackRequest, backendPath, BaseRequest, GRPC_HEADERS, pathSpellings, variants } from './model/requests';
import { TraefikModel } from './model/traefik';

/** How many bypassing spellings a finding lists. */
const SHOWN = 3;

/**
 * The headers an external authorizer typically sets for the backend (oauth2-proxy, Kubeflow's
 * authservice, Authelia): checked where the manifests mention them, besides those the mesh config
 * in the manifests names.
 */
const IDENTITY_HEADERS = ['kubeflow-userid', 'kubeflow-groups', 'x-auth-request-user', 'x-auth-request-email', 'x-forwarded-user',
  'x-forwarded-email', 'x-remote-user', 'remote-user'];
const FORGED = 'forged-by-cdk8s-secure-serving-lint';
/** Headers an authorizer may pass upstream that say nothing about who the caller is (or that the client must send). */
const NOT_IDENTITY = ['authorization', 'path', ':path', 'cookie', 'host', ':authority', 'content-type', 'content-length', 'accept', 'user-agent'];

/** A door where an external authorizer sets identity headers: who else may send them. */
interface IdentityCheck {
  /** Header names the authorizer sets. */
  readonly headers: string[];
  /** The JWT issuers (and an audience of each) the data plane accepts for this host's requests. */
  readonly issuers: { readonly issuer: string; readonly audience?: string }[];
  /** Paths the CUSTOM policies exempt or single out (`*` filled in), where the authorizer may not run. */
  readonly paths: string[];
}

/** A host (and path) a data plane routes, and how to send requests to it. */
interface Door {
  /** The route object the finding is reported on. */
  readonly route: Manifest;
  readonly base: BaseRequest;
  readonly wildcard?: string;
  /** Whether authentication is configured for this host on this data plane. */
  readonly authConfigured: boolean;
  /** What the door is, for messages: `Istio gateway istio-system/{istio=ingressgateway}`. */
  readonly via: string;
  /**
   * Send only the spellings with forwarding headers: for a model that differs from another door's
   * only in what it does with them (Traefik entry points that trust forwarded headers).
   */
  readonly onlyForwarded?: boolean;
  /** Present where an external authorizer sets identity headers that a client could send itself. */
  readonly identity?: IdentityCheck;
  /** The route's path is exempted from authentication by name (a jwt_authn rule without requires): public by design. */
  readonly exempt?: boolean;
  /**
   * Path patterns (policy syntax) that need no authentication on this door by design: their own
   * spellings may pass, but none may reach the backend at a path outside them.
   */
  readonly publicPaths?: string[];
  readonly handle: (req: AttackRequest) => Promise<Outcome>;
}

const sort = (xs: string[]) => [...new Set(xs)].sort();

/** A concrete host for a route's host pattern, and the wildcard it came from. */
function concrete(host: string): { host: string; wildcard?: string } | undefined {
  if (host === '*' || host === '') {
    return { host: 'any-host.example' };
  }
  if (host.startsWith('*.')) {
    return { host: `a${host.slice(1)}`, wildcard: host };
  }
  return /^[A-Za-z0-9.-]+$/.test(host) ? { host } : undefined;
}

function basePath(p: string | undefined): string {
  return p === undefined || p === '' ? '/' : p.startsWith('/') ? p : `/${p}`;
}

// ---------------------------------------------------------------------------------------------
// Istio

/** The namespaces the pods of a gateway selector run in, as far as the manifests tell. */
function workloadNamespaces(set: ManifestSet, labels: { [k: string]: string }, fallback: string): string[] {
  const pods = set.all.filter(m => ['Deployment', 'DaemonSet', 'StatefulSet', 'Pod'].includes(m.doc.kind) &&
    selects(labels, m.doc.kind === 'Pod' ? m.doc.metadata?.labels : m.doc.spec?.template?.metadata?.labels));
  if (pods.length > 0) {
    return sort(pods.map(p => namespaceOf(p.doc)));
  }
  const policies = set.all.filter(m => ['AuthorizationPolicy', 'RequestAuthentication', 'WasmPlugin'].includes(m.doc.kind) &&
    groupOf(m.doc).endsWith('istio.io') && m.doc.spec?.selector?.matchLabels && selects(m.doc.spec.selector.matchLabels, labels));
  if (policies.length > 0) {
    return sort(policies.map(p => namespaceOf(p.doc)));
  }
  return [labels.istio === 'ingressgateway' ? ROOT_NAMESPACE : fallback];
}

/**
 * Whether an Istio policy-like object (selector or Gateway targetRefs) applies to the gateway pods
 * (as the model decides it: istio.ts `applies`).
 */
function appliesTo(w: GatewayWorkload): (m: Manifest) => boolean {
  return m => groupOf(m.doc).endsWith('istio.io') && (m.doc.spec?.targetRefs
    ? namespaceOf(m.doc) === w.namespace && m.doc.spec.targetRefs.some((r: any) => r.kind === 'Gateway' && r.name === w.gatewayApiName)
    : (namespaceOf(m.doc) === w.namespace || namespaceOf(m.doc) === ROOT_NAMESPACE) && selects(m.doc.spec?.selector?.matchLabels, w.labels));
}

/**
 * Whether authentication is configured on the gateway pods for `host`: a policy rule that checks
 * requests to it (a CUSTOM, DENY or ALLOW rule without host conditions, or with hosts that match
 * it), a basic_auth rule for it, or a RequestAuthentication where no policy scopes enforcement to
 * hosts (then it is meant for every host).
 */
function istioAuthConfigured(set: ManifestSet, w: GatewayWorkload, host: string): boolean {
  const applies = appliesTo(w);
  const forHost = (rule: any): boolean => {
    const ops = (rule.to ?? []).map((t: any) => t.operation ?? {});
    const hosts: string[] = ops.flatMap((o: any) => o.hosts ?? []);
    const notHosts: string[] = ops.flatMap((o: any) => o.notHosts ?? []);
    if (hosts.length > 0 && !hosts.some(h => policyValueMatches(h, host, true))) {
      return false;
    }
    return !notHosts.some(h => policyValueMatches(h, host, true));
  };
  const policies = set.of('AuthorizationPolicy', 'istio.io').filter(applies).filter(m =>
    !((m.doc.spec?.action ?? 'ALLOW') === 'ALLOW' && (m.doc.spec?.rules ?? []).some((r: any) => !r.from && !r.to && !r.when)));
  if (policies.some(m => (m.doc.spec?.rules ?? []).some(forHost))) {
    return true;
  }
  const wasm = set.of('WasmPlugin', 'istio.io').filter(applies).some(m => (m.doc.spec?.pluginConfig?.basic_auth_rules ?? []).some((r: any) =>
    (r.hosts ?? []).length === 0 || (r.hosts as string[]).some(h => policyValueMatches(h, host, true))));
  if (wasm) {
    return true;
  }
  const scoped = policies.some(m => (m.doc.spec?.rules ?? []).some((r: any) =>
    (r.to ?? []).some((t: any) => t.operation?.hosts || t.operation?.notHosts)));
  return !scoped && set.of('RequestAuthentication', 'istio.io').some(applies);
}

function pathsOfVirtualService(vs: any): string[] {
  const out: string[] = [];
  for (const route of vs.spec?.http ?? []) {
    if (route.redirect) {
      continue;
    }
    const matches: any[] = route.match ?? [{}];
    for (const m of matches) {
      // a regex: its literal start (`/api/.*` → `/api/`), where a request it matches can begin
      const regex = typeof m.uri?.regex === 'string' ? /^\^?((?:\/[A-Za-z0-9_-]*)*)/.exec(m.uri.regex)?.[1] : undefined;
      out.push(basePath(m.uri?.prefix ?? m.uri?.exact ?? regex));
    }
  }
  return sort(out.length > 0 ? out : ['/']);
}

/**
 * Gateways that VirtualServices bind to but the manifests do not hold (a shared gateway installed
 * elsewhere): presumed to serve their hosts on 443 over HTTP (TLS ended before them), on the pods
 * that the policies in the gateway's namespace select (else `istio: ingressgateway`).
 */
function presumedGateways(set: ManifestSet): Manifest[] {
  const known = new Set(set.of('Gateway', 'networking.istio.io').map(g => `${namespaceOf(g.doc)}/${g.doc.metadata?.name}`));
  const wanted = new Set<string>();
  for (const vs of set.of('VirtualService', 'istio.io')) {
    for (const g of vs.doc.spec?.gateways ?? []) {
      const ref = String(g).includes('/') ? String(g) : `${namespaceOf(vs.doc)}/${g}`;
      if (g !== 'mesh' && !known.has(ref)) {
        wanted.add(ref);
      }
    }
  }
  return [...wanted].sort().map(ref => {
    const [namespace, name] = ref.split('/');
    const selectors = set.all
      .filter(m => ['AuthorizationPolicy', 'RequestAuthentication', 'WasmPlugin'].includes(m.doc.kind) && namespaceOf(m.doc) === namespace && m.doc.spec?.selector?.matchLabels)
      .map(m => JSON.stringify(Object.entries(m.doc.spec.selector.matchLabels).sort()));
    const selector = selectors.length > 0 ? Object.fromEntries(JSON.parse(selectors.sort()[0])) : { istio: 'ingressgateway' };
    const doc = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'Gateway',
      metadata: { name, namespace },
      spec: { selector, servers: [{ port: { number: 443, name: 'https', protocol: 'HTTP' }, hosts: ['*/*'] }] },
    };
    return { doc, file: '(presumed)', index: 0 };
  });
}

function istioDoors(set: ManifestSet): Door[] {
  const doors: Door[] = [];
  const presumed = presumedGateways(set);
  const docs = [...set.docs, ...presumed.map(p => p.doc)];
  const gateways = [...set.of('Gateway', 'networking.istio.io'), ...presumed];
  const bySelector = new Map<string, Manifest[]>();
  for (const g of gateways) {
    const key = JSON.stringify(Object.entries(g.doc.spec?.selector ?? {}).sort());
    bySelector.set(key, [...(bySelector.get(key) ?? []), g]);
  }
  for (const [key, gws] of [...bySelector.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const labels: { [k: string]: string } = Object.fromEntries(JSON.parse(key));
    for (const ns of workloadNamespaces(set, labels, namespaceOf(gws[0].doc))) {
      const workload: GatewayWorkload = { namespace: ns, labels };
      const model = new IstioGatewayModel(docs, workload, { jwksFor: () => LINT_KEYS.jwks });
      const identity = istioIdentityCheck(set, workload);
      const publicPaths = istioPublicPaths(set, workload);
      const refs = new Set(gws.map(g => `${namespaceOf(g.doc)}/${g.doc.metadata?.name}`));

      const assumed = gws.filter(g => presumed.includes(g)).map(g => `${namespaceOf(g.doc)}/${g.doc.metadata?.name}`);
      const via = `the Istio gateway pods {${Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',')}} in ${ns}` +
        (assumed.length > 0 ? ` (Gateway ${assumed.join(', ')} is not in these manifests: presumed to serve the hosts on 443)` : '');
      for (const vs of set.of('VirtualService', 'istio.io')) {
        const vsNs = namespaceOf(vs.doc);
        if (!(vs.doc.spec?.gateways ?? []).some((g: string) => refs.has(g.includes('/') ? g : `${vsNs}/${g}`))) {
          continue;
        }
        for (const h of vs.doc.spec?.hosts ?? []) {
          const c = concrete(String(h));
          for (const path of c ? pathsOfVirtualService(vs.doc) : []) {
            doors.push({
              route: vs,
              base: { host: c!.host, path },
              wildcard: c!.wildcard,
              via,
              identity,
              publicPaths,
              handle: r => model.handle(r),
              authConfigured: istioAuthConfigured(set, workload, c!.host),
            });
          }
        }
      }
    }
  }
  return doors;
}

/** The keys the analysis signs its tokens with: every JWKS a model asks for serves them. */
const LINT_KEYS: { jwks: { keys: any[] }; sign?: (claims: { [k: string]: unknown }) => Promise<string> } = { jwks: { keys: [] } };

async function lintKeys(): Promise<void> {
  if (LINT_KEYS.sign) {
    return;
  }
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...await exportJWK(publicKey), kid: 'cdk8s-secure-serving-lint', alg: 'ES256', use: 'sig' };
  LINT_KEYS.jwks = { keys: [jwk] };
  LINT_KEYS.sign = claims => new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: jwk.kid }).sign(privateKey);
}

/** The headers the mesh config's external authorizers set, from a ConfigMap `mesh` key or an IstioOperator. */
function meshIdentityHeaders(set: ManifestSet): string[] {
  const out: string[] = [];
  const providers = (mesh: any) => (mesh?.extensionProviders ?? []).forEach((p: any) => {
    for (const kind of ['envoyExtAuthzHttp', 'envoyExtAuthzGrpc']) {
      const names: string[] = (p?.[kind]?.headersToUpstreamOnAllow ?? []).map((h: unknown) => String(h).toLowerCase());
      out.push(...names.filter(h => !NOT_IDENTITY.includes(h)));
    }
  });
  for (const m of set.of('IstioOperator', 'install.istio.io')) {
    providers(m.doc.spec?.meshConfig);
  }
  for (const m of set.of('ConfigMap', '')) {
    if (typeof m.doc.data?.mesh === 'string' && /extensionProviders/.test(m.doc.data.mesh)) {
      try {
        providers(parseYaml(m.doc.data.mesh));
      } catch {
        // not YAML
      }
    }
  }
  return out;
}

/**
 * The paths the gateway's policies leave open by design: those of ALLOW rules that ask for no
 * principal, and those a DENY for requests without a principal exempts (`notPaths`).
 */
function istioPublicPaths(set: ManifestSet, w: GatewayWorkload): string[] {
  const applies = appliesTo(w);
  const out: string[] = [];
  for (const m of set.of('AuthorizationPolicy', 'istio.io').filter(applies)) {
    const action = m.doc.spec?.action ?? 'ALLOW';
    for (const r of m.doc.spec?.rules ?? []) {
      const principals = policySources(r).some((x: any) => x.requestPrincipals || x.notRequestPrincipals || x.principals);
      for (const t of r.to ?? []) {
        if (action === 'ALLOW' && !principals) {
          out.push(...(t.operation?.paths ?? []));
        } else if (action === 'DENY' && policySources(r).some((x: any) => x.notRequestPrincipals)) {
          out.push(...(t.operation?.notPaths ?? []));
        }
      }
    }
  }
  return sort(out.filter(p => typeof p === 'string' && p.startsWith('/') && p !== '/*'));
}

/** Whether a CUSTOM policy applies to the workload: then an authorizer sets identity headers for some requests. */
function istioIdentityCheck(set: ManifestSet, w: GatewayWorkload): IdentityCheck | undefined {
  const applies = appliesTo(w);
  const custom = set.of('AuthorizationPolicy', 'istio.io').filter(m => m.doc.spec?.action === 'CUSTOM' && applies(m));
  if (custom.length === 0) {
    return undefined;
  }
  const paths = sort(custom.flatMap(m => (m.doc.spec?.rules ?? []).flatMap((r: any) => (r.to ?? []).flatMap((t: any) =>
    [...(t.operation?.notPaths ?? []), ...(t.operation?.paths ?? [])]))).filter((p: unknown) => typeof p === 'string' && p.startsWith('/'))
    .map((p: string) => p.replace(/\*/g, 'x')));
  const issuers = set.of('RequestAuthentication', 'istio.io').filter(applies)
    .flatMap(m => (m.doc.spec?.jwtRules ?? []).map((r: any) => ({ issuer: String(r.issuer), audience: r.audiences?.[0] })));
  // The mesh config's headers, and the usual ones the manifests mention (a policy or filter about them says they matter).
  const text = JSON.stringify(set.docs).toLowerCase();
  const mentioned = IDENTITY_HEADERS.filter(h => text.includes(h) || text.includes(h.replace(/-/g, '_')));
  const headers = sort([...mentioned, ...meshIdentityHeaders(set)]);
  if (headers.length === 0) {
    return undefined;
  }
  return { headers: sort([...headers, ...headers.map(h => h.replace(/-/g, '_'))]), issuers, paths };
}

// ---------------------------------------------------------------------------------------------
// Gateway API: Istio's and Envoy Gateway's

function attachedRoutes(set: ManifestSet, gw: Manifest): Manifest[] {
  const gwNs = namespaceOf(gw.doc);
  return ['HTTPRoute', 'GRPCRoute'].flatMap(kind => set.of(kind, 'gateway.networking.k8s.io')).filter(r =>
    (r.doc.spec?.parentRefs ?? []).some((p: any) => (p.kind ?? 'Gateway') === 'Gateway' && p.name === gw.doc.metadata?.name &&
      (p.namespace ?? namespaceOf(r.doc)) === gwNs));
}

function routePaths(route: any): string[] {
  const out: string[] = [];
  for (const rule of route.spec?.rules ?? []) {
    for (const m of rule.matches ?? [{}]) {
      if (route.kind === 'GRPCRoute') {
        out.push(m.method?.service ? `/${m.method.service}/${m.method.method ?? 'Call'}` : '/');
      } else {
        out.push(basePath(m.path?.type === 'RegularExpression' ? undefined : m.path?.value));
      }
    }
  }
  return sort(out.length > 0 ? out : ['/']);
}

function gatewayApiDoors(set: ManifestSet): Door[] {
  const doors: Door[] = [];
  const classes = new Map(set.of('GatewayClass', 'gateway.networking.k8s.io').map(c => [c.doc.metadata?.name, String(c.doc.spec?.controllerName ?? '')]));
  const egObjects = set.all.some(m => groupOf(m.doc) === 'gateway.envoyproxy.io');
  for (const gw of set.of('Gateway', 'gateway.networking.k8s.io')) {
    const cls = String(gw.doc.spec?.gatewayClassName ?? '');
    const controller = classes.get(cls) ?? '';
    const istio = cls === 'istio' || controller.startsWith('istio.io/');
    const eg = !istio && (controller.startsWith('gateway.envoyproxy.io/') || cls === 'eg' || egObjects);
    if (!istio && !eg) {
      continue;
    }
    const name = String(gw.doc.metadata?.name);
    const ns = namespaceOf(gw.doc);
    let handle: (r: AttackRequest) => Promise<Outcome>;
    let auth: (route: Manifest, host: string) => boolean;
    if (istio) {
      const workload: GatewayWorkload = { namespace: ns, labels: { 'gateway.networking.k8s.io/gateway-name': name }, gatewayApiName: name };
      const model = new IstioGatewayModel(set.docs, workload);
      handle = r => model.handle(r);
      auth = (_route, host) => istioAuthConfigured(set, workload, host);
    } else {
      const model = new EnvoyGatewayModel(set.docs, { gateway: `${ns}/${name}`, presumeExisting: true });
      handle = r => model.handle(r);
      const policies = set.of('SecurityPolicy', 'gateway.envoyproxy.io');
      // meant for this route or Gateway: a policy naming it, even from a namespace where it cannot attach
      // (the model decides what attaches; a misplaced policy is an authentication that is not enforced)
      auth = route => policies.some(p => (p.doc.spec?.targetRefs ?? (p.doc.spec?.targetRef ? [p.doc.spec.targetRef] : [])).some((t: any) =>
        (t.kind === route.doc.kind && t.name === route.doc.metadata?.name) || (t.kind === 'Gateway' && t.name === name)) &&
        (p.doc.spec?.jwt || p.doc.spec?.extAuth || p.doc.spec?.basicAuth || p.doc.spec?.oidc || p.doc.spec?.apiKeyAuth || p.doc.spec?.authorization));
    }
    const via = `${istio ? 'Istio' : 'Envoy Gateway'} for Gateway ${ns}/${name}`;
    for (const route of attachedRoutes(set, gw)) {
      const hostnames: string[] = route.doc.spec?.hostnames ?? (gw.doc.spec?.listeners ?? []).map((l: any) => l.hostname ?? '*');
      for (const h of sort(hostnames)) {
        const c = concrete(h);
        for (const path of c ? routePaths(route.doc) : []) {
          const headers = route.doc.kind === 'GRPCRoute' ? GRPC_HEADERS : undefined;
          doors.push({ route, base: { host: c!.host, path, headers }, wildcard: c!.wildcard, authConfigured: auth(route, c!.host), via, handle });
        }
      }
    }
  }
  return doors;
}

// ---------------------------------------------------------------------------------------------
// Traefik

const V1_AUTH = /^(ingress\.kubernetes\.io|traefik\.ingress\.kubernetes\.io)\/auth-/;

function traefikDoors(set: ManifestSet): Door[] {
  // Ingresses of a removed API version are not served at all (removed-api-version says so)
  const routes = [...set.of('IngressRoute', 'traefik.io'), ...set.of('Ingress').filter(m => m.doc.apiVersion === 'networking.k8s.io/v1').filter(m => {
    const cls = m.doc.spec?.ingressClassName ?? m.doc.metadata?.annotations?.['kubernetes.io/ingress.class'];
    return cls === undefined || /traefik/i.test(String(cls));
  })];
  if (routes.length === 0) {
    return [];
  }
  const middlewares = set.of('Middleware', 'traefik.io');
  const authenticates = (ns: string, name: string) => middlewares.some(mw => mw.doc.metadata?.name === name && namespaceOf(mw.doc) === ns &&
    (mw.doc.spec?.basicAuth || mw.doc.spec?.forwardAuth || mw.doc.spec?.digestAuth));
  /** Each host and path a route serves, and whether that route authenticates. */
  const hostsOf = (m: Manifest): { host: string; path: string; auth: boolean }[] => {
    const ns = namespaceOf(m.doc);
    if (m.doc.kind === 'Ingress') {
      const a = m.doc.metadata?.annotations ?? {};
      const auth = Object.keys(a).some(k => V1_AUTH.test(k)) || String(a['traefik.ingress.kubernetes.io/router.middlewares'] ?? '').split(',')
        .some(ref => middlewares.some(mw => `${namespaceOf(mw.doc)}-${mw.doc.metadata?.name}@kubernetescrd` === ref.trim() && authenticates(namespaceOf(mw.doc), mw.doc.metadata?.name)));
      return (m.doc.spec?.rules ?? []).flatMap((r: any) => (r.http?.paths ?? [{}]).map((p: any) => ({ host: r.host ?? '*', path: basePath(p.path), auth })));
    }
    return (m.doc.spec?.routes ?? []).flatMap((r: any) => {
      const hosts = [...String(r.match ?? '').matchAll(/Host\(\s*`([^`]+)`/g)].map(x => x[1]);
      const paths = [...String(r.match ?? '').matchAll(/PathPrefix\(\s*`([^`]+)`/g)].map(x => x[1]);
      const auth = (r.middlewares ?? []).some((ref: any) => authenticates(ref.namespace ?? ns, ref.name));
      return hosts.flatMap(host => (paths.length > 0 ? paths : ['/']).map(path => ({ host, path, auth })));
    });
  };
  const authenticatedHosts = new Set(routes.flatMap(m => hostsOf(m).filter(h => h.auth).map(h => h.host.toLowerCase())));
  const doors: Door[] = [];
  for (const trust of [false, true]) {
    const model = new TraefikModel(set.docs, { trustForwardedHeaders: trust });
    const via = `Traefik (entry points ${trust ? 'that trust' : 'that do not trust'} forwarded headers)`;
    for (const m of routes) {
      for (const { host, path } of hostsOf(m)) {
        const c = concrete(host);
        if (c) {
          doors.push({
            route: m,
            base: { host: c.host, path },
            wildcard: c.wildcard,
            via,
            handle: async r => model.handle(r),
            onlyForwarded: trust,
            authConfigured: authenticatedHosts.has(host.toLowerCase()),
          });
        }
      }
    }
  }
  return doors;
}

// ---------------------------------------------------------------------------------------------
// Envoy bootstraps

function envoyDoors(set: ManifestSet): Door[] {
  const doors: Door[] = [];
  for (const b of envoyBootstraps(set)) {
    const via = (listener: string) => `the Envoy bootstrap in data["${b.key}"], listener ${listener}`;
    // Every listener whose routes reach a cluster is a door (a health listener's direct answers are not).
    const listeners: any[] = (b.bootstrap.static_resources?.listeners ?? []).filter((l: any) => JSON.stringify(l).includes('"cluster"'));
    for (const listener of listeners) {
      const name = String(listener.name ?? '');
      const hcm = listener.filter_chains?.[0]?.filters?.[0]?.typed_config ?? listener.filter_chains?.[0]?.filters?.[0]?.config;
      const authConfigured = (hcm?.http_filters ?? []).some((f: any) => /jwt_authn|ext_authz|rbac|basic_auth|oauth2/.test(String(f.name)));
      let model: EnvoyModel;
      try {
        model = new EnvoyModel(b.bootstrap, {}, name);
      } catch (e) {
        // reported as model-unsupported by the run, once for this listener
        doors.push({ route: b.manifest, base: { host: '-', path: '/' }, authConfigured, via: via(name), handle: () => Promise.reject(e) });
        continue;
      }
      for (const vh of hcm?.route_config?.virtual_hosts ?? []) {
        for (const domain of vh.domains ?? []) {
          const c = concrete(String(domain));
          for (const r of c ? (vh.routes ?? []).filter((x: any) => x.route?.cluster) : []) {
            const path = basePath(r.match?.prefix ?? r.match?.path ?? r.match?.path_separated_prefix);
            doors.push({
              exempt: explicitlyExempt(hcm, path),
              route: b.manifest,
              base: { host: c!.host, path, scheme: model.tls ? 'https' : 'http', headers: GRPC_HEADERS },
              wildcard: c!.wildcard,
              authConfigured,
              via: via(name),
              handle: req => model.handle(req),
            });
          }
        }
      }
    }
  }
  return doors;
}

/** Whether the first jwt_authn rule for `path` names it (an exact path or a prefix other than `/`) and requires nothing. */
function explicitlyExempt(hcm: any, path: string): boolean {
  for (const f of hcm?.http_filters ?? []) {
    if (!/jwt_authn/.test(String(f.name))) {
      continue;
    }
    const rule = ((f.typed_config ?? f.config)?.rules ?? []).find((r: any) => {
      const m = r.match ?? {};
      return m.path !== undefined ? m.path === path : typeof m.prefix === 'string' ? path.startsWith(m.prefix)
        : typeof m.path_separated_prefix === 'string' ? path === m.path_separated_prefix || path.startsWith(`${m.path_separated_prefix}/`) : false;
    });
    return rule !== undefined && rule.requires === undefined && rule.requirement_name === undefined && rule.match?.prefix !== '/';
  }
  return false;
}

// ---------------------------------------------------------------------------------------------

const DATA_PLANES: { name: string; doors: (set: ManifestSet) => Door[]; objects: (set: ManifestSet) => Manifest[] }[] = [
  { name: 'Istio', doors: istioDoors, objects: s => s.of('Gateway', 'networking.istio.io') },
  { name: 'the Gateway API', doors: gatewayApiDoors, objects: s => s.of('Gateway', 'gateway.networking.k8s.io') },
  { name: 'Traefik', doors: traefikDoors, objects: s => [...s.of('IngressRoute', 'traefik.io'), ...s.of('Ingress')] },
  { name: 'Envoy', doors: envoyDoors, objects: s => envoyBootstraps(s).map(b => b.manifest) },
];

/** What the front-door analysis found, and which doors it modeled (`https://host/path via …`). */
export interface DoorAnalysis {
  readonly findings: Finding[];
  readonly modeled: string[];
}

/** Runs the attack matrix on every front door of the set. */
export async function frontDoorFindings(set: ManifestSet): Promise<DoorAnalysis> {
  const out: Finding[] = [];
  const modeled: string[] = [];
  // One finding per rule, route and request: Traefik is modeled twice (with and without trusted forwarded headers).
  const reported = new Set<string>();
  const report = (f: Finding, label: string) => {
    const key = `${f.rule.id}|${f.manifest.file}|${f.manifest.index}|${label}`;
    if (!reported.has(key)) {
      reported.add(key);
      out.push(f);
    }
  };
  await lintKeys();
  const authenticatedBackends = new Map<string, Manifest>();
  const planes: Door[][] = [];
  for (const plane of DATA_PLANES) {
    try {
      planes.push(plane.doors(set));
    } catch (e) {
      const first = plane.objects(set)[0];
      if (first) {
        out.push(finding(RULES.modelUnsupported, first, '', `${plane.name}: ${(e as Error).message}`));
      }
    }
  }
  // A host that some route authenticates is meant to be authenticated on every route that serves it.
  const authenticatedHosts = new Map<string, Door>();
  for (const door of planes.flat()) {
    if (door.authConfigured && !authenticatedHosts.has(door.base.host.toLowerCase())) {
      authenticatedHosts.set(door.base.host.toLowerCase(), door);
    }
  }
  for (const doors of planes) {
    const seen = new Set<string>();
    for (let door of doors) {
      const key = `${door.via}|${door.base.host}|${door.base.path}|${door.route.file}|${door.route.index}`;
      if (seen.has(key)) {
        continue;
      }
      seen.add(key);
      try {
        const send = (scheme: 'http' | 'https') => door.handle({
          scheme, authority: door.base.host, method: 'POST', path: door.base.path, headers: { ...(door.base.headers ?? {}) }, label: 'plain',
        });
        let plain = await send(door.base.scheme ?? 'https');
        if ((plain.status === 0 || plain.status === 404) && door.base.scheme === undefined) {
          // not routed on the TLS port: the door may be plain HTTP
          const http = await send('http');
          if (http.status !== 0 && http.status !== 404) {
            door = { ...door, base: { ...door.base, scheme: 'http' } };
            plain = http;
          }
        }
        const label = `${door.base.scheme ?? 'https'}://${door.base.host}${door.base.path}`;
        modeled.push(`${label} via ${door.via}`);
        if (plain.backend !== undefined) {
          if (door.exempt) {
            continue; // public by name: the bootstrap says so
          }
          if (door.authConfigured) {
            report(finding(RULES.authNotEnforced, door.route, 'spec',
              `${label} without credentials reaches ${plain.backend} through ${door.via} (${plain.why})`), label);
          } else if (authenticatedHosts.has(door.base.host.toLowerCase())) {
            const other = authenticatedHosts.get(door.base.host.toLowerCase())!;
            report(finding(RULES.authNotEnforced, door.route, 'spec',
              `${label} without credentials reaches ${plain.backend} through ${door.via}, while ${other.route.doc.kind} ` +
              `${namespaceOf(other.route.doc)}/${other.route.doc.metadata?.name} authenticates the same host (through ${other.via})`), label);
          } else {
            report(finding(RULES.unauthenticatedFrontDoor, door.route, 'spec', `${label} reaches ${plain.backend} through ${door.via} without authentication`), label);
          }
          continue;
        }
        if (plain.status === 301) {
          continue; // redirected to HTTPS: the door is the TLS one
        }
        if (plain.status === 404 || plain.status === 0) {
          // the plain request is not routed: nothing to compare the spellings with
          report(finding(RULES.modelUnsupported, door.route, 'spec',
            `${label} is not routed through ${door.via} (${plain.why}): the attack matrix did not run for it (a route the model could not derive a request for?)`), label);
          continue;
        }
        const through: string[] = [];
        const spellings = variants(door.base, { wildcard: door.wildcard });
        const forwarded = (v: AttackRequest) => Object.keys(v.headers).some(h => h.startsWith('x-forwarded-') || h === 'x-real-ip');
        for (const v of door.onlyForwarded ? spellings.filter(forwarded) : spellings) {
          const o = await door.handle(v);
          if (o.backend !== undefined) {
            through.push(`${v.label} → ${o.backend}`);
            recordBackend(authenticatedBackends, o.backend, door.route);
          }
        }
        through.push(...await publicPathEscapes(door));
        if (through.length > 0) {
          report(finding(RULES.frontDoorBypass, door.route, 'spec',
            `${label} without credentials is stopped (${plain.status}) by ${door.via}, but ${through.length} spelling${through.length > 1 ? 's reach' : ' reaches'} the backend: ` +
            `${through.slice(0, SHOWN).join('; ')}${through.length > SHOWN ? `; and ${through.length - SHOWN} more` : ''}`), label);
        }
        for (const b of protectedBackends(door)) {
          recordBackend(authenticatedBackends, b, door.route);
        }
        const forged = await forgedIdentity(door);
        if (forged.length > 0) {
          report(finding(RULES.identityForgeable, door.route, 'spec',
            `${label} with a valid token and a forged ${forged.join(', ')} reaches the backend with the forged value through ${door.via}: ` +
            'the external authorizer does not check this request, and nothing removes the header'), label);
        }
      } catch (e) {
        report(finding(RULES.modelUnsupported, door.route, '', `${door.via}: ${(e as Error).message}`), 'model');
        if (door.authConfigured) {
          // not modeled, but meant to be authenticated: its backends must not be open around it
          for (const ref of routedServices(set).filter(r => r.by === door.route)) {
            recordBackend(authenticatedBackends, `${ref.namespace}/${ref.name}`, door.route);
          }
        }
      }
    }
  }
  out.push(...aroundTheDoor(set, authenticatedBackends));
  return { findings: out, modeled: sort(modeled) };
}

/**
 * Spellings of the door's public paths that reach the backend at a path outside them, as a
 * backend that decodes and resolves everything reads it (`/public/..%2Fadmin` is `/admin`).
 */
async function publicPathEscapes(door: Door): Promise<string[]> {
  const out: string[] = [];
  const patterns = door.publicPaths ?? [];
  for (const pattern of patterns) {
    const path = pattern.replace(/\{\*\*?\}/g, 'x').replace(/\*/g, 'x');
    for (const spelled of pathSpellings(path)) {
      for (const method of ['GET', 'POST']) {
        const o = await door.handle({
          scheme: door.base.scheme ?? 'https',
          authority: door.base.host,
          method,
          path: spelled,
          headers: { ...(door.base.headers ?? {}) },
          label: `public path spelling ${spelled}`,
        });
        const served = backendPath(o.path ?? spelled);
        if (o.backend !== undefined && !patterns.some(p => pathMatches(p, served))) {
          out.push(`${method} ${spelled} (a public path of the policies) → ${o.backend}, served as ${served}`);
        }
      }
    }
  }
  return out;
}

/** The identity headers that reach the backend as a client sent them, on a request with a valid token. */
async function forgedIdentity(door: Door): Promise<string[]> {
  if (!door.identity || !LINT_KEYS.sign) {
    return [];
  }
  const now = Math.floor(Date.now() / 1000);
  const out: string[] = [];
  for (const { issuer, audience } of door.identity.issuers.length > 0 ? door.identity.issuers : [{ issuer: '' }]) {
    const token = issuer ? await LINT_KEYS.sign({ iss: issuer, sub: 'lint', ...(audience ? { aud: audience } : {}), iat: now, exp: now + 3600 }) : undefined;
    for (const path of sort([door.base.path, ...door.identity.paths])) {
      for (const h of door.identity.headers) {
        const o = await door.handle({
          scheme: door.base.scheme ?? 'https',
          authority: door.base.host,
          method: 'POST',
          path,
          label: `forged ${h}`,
          headers: { ...(door.base.headers ?? {}), ...(token ? { authorization: `Bearer ${token}` } : {}), [h]: FORGED },
        });
        if (o.backend !== undefined && Object.entries(o.headers ?? {}).some(([k, v]) => k.toLowerCase() === h && v === FORGED)) {
          out.push(`${h} at ${path}`);
        }
      }
    }
  }
  return sort(out);
}

function recordBackend(map: Map<string, Manifest>, backend: string, route: Manifest) {
  const svc = backend.replace(/:\d+$/, '');
  if (!map.has(svc)) {
    map.set(svc, route);
  }
}

/** The Services an authenticated door routes to (`namespace/name`). */
function protectedBackends(door: Door): string[] {
  const d = door.route.doc;
  const ns = namespaceOf(d);
  const hosts: string[] = [];
  for (const r of d.spec?.http ?? []) {
    for (const x of r.route ?? []) {
      hosts.push(String(x.destination?.host ?? ''));
    }
  }
  for (const r of d.spec?.rules ?? []) {
    for (const b of r.backendRefs ?? []) {
      hosts.push(`${b.name}.${b.namespace ?? ns}`);
    }
  }
  for (const r of d.spec?.routes ?? []) {
    for (const s of r.services ?? []) {
      hosts.push(`${s.name}.${s.namespace ?? ns}`);
    }
  }
  return hosts.filter(h => h.length > 0).map(h => {
    const [name, n] = h.split('.');
    return `${n ?? ns}/${name}`;
  });
}

/**
 * The pods a tenant of another namespace can run: any labels it likes (one set for each pod
 * selector of the NetworkPolicies in the backend's namespace, so that each can be met), without a
 * sidecar, and with one when the backend is in the mesh. Namespace labels are not its to choose.
 */
function attackers(set: ManifestSet, namespace: string, inMesh: boolean): Pod[] {
  const labelSets: { [k: string]: string }[] = [{}];
  for (const np of set.of('NetworkPolicy', 'networking.k8s.io').filter(m => namespaceOf(m.doc) === namespace)) {
    for (const rule of np.doc.spec?.ingress ?? []) {
      for (const peer of rule.from ?? []) {
        const sel = peer.podSelector;
        if (sel) {
          const labels: { [k: string]: string } = { ...(sel.matchLabels ?? {}) };
          for (const e of sel.matchExpressions ?? []) {
            if (e.operator === 'In' && (e.values ?? []).length > 0) {
              labels[e.key] = e.values[0];
            } else if (e.operator === 'Exists') {
              labels[e.key] = 'x';
            }
          }
          labelSets.push(labels);
        }
      }
    }
  }
  const ns = 'another-tenant';
  return labelSets.flatMap(labels => [
    { namespace: ns, labels },
    ...(inMesh ? [{ namespace: ns, labels, principal: `cluster.local/ns/${ns}/sa/default` }] : []),
  ]);
}

/** Backends of authenticated doors that a pod elsewhere in the cluster can connect to directly. */
function aroundTheDoor(set: ManifestSet, backends: Map<string, Manifest>): Finding[] {
  const out: Finding[] = [];
  const injected = (ns: string) => set.of('Namespace', '').some(n => n.doc.metadata?.name === ns &&
    (n.doc.metadata?.labels?.['istio-injection'] === 'enabled' || n.doc.metadata?.labels?.['istio.io/rev'] !== undefined));
  for (const [key, route] of [...backends.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const [namespace, name] = key.split('/');
    const svc = serviceOf(set, { namespace, name });
    if (!svc || !svc.doc.spec?.selector) {
      continue;
    }
    const pods = podsOf(set, svc);
    const labels = pods[0]?.labels ?? svc.doc.spec.selector;
    const inMesh = injected(namespace) || pods.some(p => p.labels['sidecar.istio.io/inject'] === 'true');
    const ports: any[] = svc.doc.spec.ports ?? [];
    const callers = attackers(set, namespace, inMesh);
    const open = ports.filter(p => callers.some(from => canConnect(set.docs, from, {
      namespace,
      labels,
      inMesh,
      port: typeof p.targetPort === 'number' ? p.targetPort : p.port,
      portName: typeof p.targetPort === 'string' ? p.targetPort : p.name,
    }).allowed));
    if (open.length > 0) {
      out.push(finding(RULES.aroundTheDoor, svc, 'spec.selector',
        `Service ${key} is the backend of ${route.doc.kind} ${namespaceOf(route.doc)}/${route.doc.metadata?.name}, which needs authentication, ` +
        `but a pod in another namespace can connect to it on port ${open.map(p => p.port).join(', ')} (no NetworkPolicy or mesh policy keeps it out)`));
    }
  }
  return out;
}

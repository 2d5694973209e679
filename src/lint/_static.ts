/**
 * Checks on single objects and their references: the pitfalls of the setups this library
 * replaces (DOMAIN reference of the project, sections A to G), whoever wrote the YAML.
 */
import { parse } from 'yaml';
import { lineOf } from './_load';
import { groupOf, Manifest, ManifestSet, namespaceOf, policySources, ROOT_NAMESPACE, selects } from './_manifests';
import { Finding, finding, RULES, Severity } from './_rules';
import { connectionManagers, envoyBootstraps, inBootstrap, podsOf, podTemplates, routedServices, serviceOf } from './_workloads';

type Check = (set: ManifestSet) => Finding[];

// ---------------------------------------------------------------------------------------------
// Removed APIs and Traefik v1

const REMOVED: { test: (doc: any) => boolean; instead: string }[] = [
  { test: d => groupOf(d) === 'traefik.containo.us', instead: 'traefik.io/v1alpha1 (traefik.containo.us was removed in Traefik v3)' },
  { test: d => d.kind === 'Ingress' && /^(extensions|networking\.k8s\.io)\/v1beta1$/.test(d.apiVersion), instead: 'networking.k8s.io/v1 (v1beta1 Ingress was removed in Kubernetes 1.22)' },
  { test: d => /^(extensions\/v1beta1|apps\/v1beta[12])$/.test(d.apiVersion) && ['Deployment', 'DaemonSet', 'ReplicaSet', 'StatefulSet'].includes(d.kind), instead: 'apps/v1 (removed in Kubernetes 1.16)' },
  { test: d => d.apiVersion === 'authentication.istio.io/v1alpha1', instead: 'security.istio.io/v1 PeerAuthentication and RequestAuthentication (removed in Istio 1.6)' },
  { test: d => groupOf(d) === 'rbac.istio.io', instead: 'security.istio.io/v1 AuthorizationPolicy (removed in Istio 1.6)' },
];

const removedApi: Check = set => set.all.flatMap(m => {
  const hit = REMOVED.find(x => x.test(m.doc));
  return hit ? [finding(RULES.removedApi, m, 'apiVersion', `${m.doc.apiVersion} ${m.doc.kind} is no longer served: use ${hit.instead}`)] : [];
});

const V1_ANNOTATION = /^(ingress\.kubernetes\.io\/|traefik\.ingress\.kubernetes\.io\/(?!router\.|service\.)|traefik\.frontend\.)/;

const traefikV1: Check = set => set.of('Ingress').flatMap(m => {
  const a = m.doc.metadata?.annotations ?? {};
  const cls = m.doc.spec?.ingressClassName ?? a['kubernetes.io/ingress.class'];
  if (cls !== undefined && !/traefik/i.test(String(cls))) {
    return [];
  }
  return Object.keys(a).filter(k => V1_ANNOTATION.test(k)).sort().map(k => finding(RULES.traefikV1Annotations, m, `metadata.annotations["${k}"]`,
    /auth/.test(k) ? `${k} is a Traefik v1 annotation: Traefik v2+ ignores it, and the route has no authentication`
      : `${k} is a Traefik v1 annotation: Traefik v2+ ignores it`, /auth|redirect|ssl/.test(k) ? 'error' : 'warning'));
});

// ---------------------------------------------------------------------------------------------
// Istio policies

/** Whether two workload selections may select the same pods. */
function overlaps(a: any, b: any): boolean {
  const refs = (d: any) => d.spec?.targetRefs ?? (d.spec?.targetRef ? [d.spec.targetRef] : undefined);
  const ra = refs(a);
  const rb = refs(b);
  if (ra || rb) {
    return !!ra && !!rb && ra.some((x: any) => rb.some((y: any) => x.kind === y.kind && x.name === y.name));
  }
  if (namespaceOf(b) === ROOT_NAMESPACE && b.spec?.selector === undefined) {
    return true;
  }
  if (namespaceOf(a) !== namespaceOf(b)) {
    return false;
  }
  const sa = a.spec?.selector?.matchLabels;
  const sb = b.spec?.selector?.matchLabels;
  return sb === undefined || selects(sb, sa ?? {}) || selects(sa, sb);
}


const requestAuthNotRequired: Check = set => {
  const policies = set.of('AuthorizationPolicy', 'istio.io');
  return set.of('RequestAuthentication', 'istio.io').flatMap(m => {
    const required = policies.some(p => overlaps(m.doc, p.doc) && (
      (p.doc.spec?.action === 'DENY' && (p.doc.spec.rules ?? []).some((r: any) => policySources(r).some((s: any) => (s.notRequestPrincipals ?? []).length > 0))) ||
      // with an ALLOW policy, a request no rule matches is denied: a rule that needs a principal is the
      // authentication, the others are exemptions the policy chose
      ((p.doc.spec?.action ?? 'ALLOW') === 'ALLOW' &&
        (p.doc.spec?.rules ?? []).some((r: any) => policySources(r).some((s: any) => (s.requestPrincipals ?? []).length > 0)))));
    return required ? [] : [finding(RULES.requestAuthNotRequired, m, 'spec.jwtRules',
      'no AuthorizationPolicy on the same workloads denies requests without a principal: a request without a token passes')];
  });
};

const customPathOnly: Check = set => set.of('AuthorizationPolicy', 'istio.io').flatMap(m => {
  if (m.doc.spec?.action !== 'CUSTOM') {
    return [];
  }
  const out: Finding[] = [];
  // A rule that checks every host but some (notHosts alone) limits what the other rules exempt to those hosts.
  const scoped = (m.doc.spec.rules ?? []).some((r: any) => !r.from && !r.when && (r.to ?? []).length > 0 &&
    (r.to ?? []).every((t: any) => Object.keys(t.operation ?? {}).length === 1 && (t.operation.notHosts ?? []).length > 0));
  (m.doc.spec.rules ?? []).forEach((r: any, i: number) => (r.to ?? []).forEach((t: any, j: number) => {
    const op = t.operation ?? {};
    if ((op.notPaths || op.paths) && !op.hosts && !scoped) {
      const which = op.notPaths ? `notPaths ${JSON.stringify(op.notPaths)}` : `paths ${JSON.stringify(op.paths)}`;
      out.push(finding(RULES.customPathOnly, m, `spec.rules[${i}].to[${j}].operation`,
        `external authorization is decided by ${which} alone: every host on these gateway pods with such paths is ${op.notPaths ? 'exempted' : 'the only one checked'}`));
    }
  }));
  return out;
});

const mtlsPermissive: Check = set => set.of('PeerAuthentication', 'istio.io').flatMap(m => {
  const out: Finding[] = [];
  const ns = namespaceOf(m.doc);
  const identityRules = set.of('AuthorizationPolicy', 'istio.io').some(p => namespaceOf(p.doc) === ns &&
    (p.doc.spec?.rules ?? []).some((r: any) => policySources(r).some((s: any) => s.namespaces || s.principals)));
  const sev: Severity = identityRules ? 'error' : 'warning';
  const why = identityRules ? ': the AuthorizationPolicies of this namespace that trust a caller\'s namespace or principal can be passed by plaintext callers' : '';
  const mode = m.doc.spec?.mtls?.mode;
  if (mode === 'PERMISSIVE' || mode === 'DISABLE') {
    out.push(finding(RULES.mtlsPermissive, m, 'spec.mtls.mode', `mtls.mode ${mode}${why}`, sev));
  }
  for (const [port, v] of Object.entries(m.doc.spec?.portLevelMtls ?? {}).sort(([a], [b]) => Number(a) - Number(b))) {
    const pm = (v as any)?.mode;
    if (pm === 'PERMISSIVE' || pm === 'DISABLE') {
      out.push(finding(RULES.mtlsPermissive, m, `spec.portLevelMtls["${port}"].mode`, `port ${port}: mtls.mode ${pm}${why}`, sev));
    }
  }
  return out;
});

const authzHosts: Check = set => set.of('AuthorizationPolicy', 'istio.io').flatMap(m => {
  const out: Finding[] = [];
  const action = m.doc.spec?.action ?? 'ALLOW';
  (m.doc.spec?.rules ?? []).forEach((r: any, i: number) => (r.to ?? []).forEach((t: any, j: number) => {
    for (const key of ['hosts', 'notHosts']) {
      const hosts: string[] = (t.operation ?? {})[key] ?? [];
      hosts.forEach((h, k) => {
        if (typeof h !== 'string') {
          return;
        }
        const at = `spec.rules[${i}].to[${j}].operation.${key}[${k}]`;
        if (h.length > 1 && h.startsWith('*') && h.endsWith('*')) {
          out.push(finding(RULES.authzHostNeverMatches, m, at, `${JSON.stringify(h)} is a suffix match of ${JSON.stringify(h.slice(1))}: it never matches a real host`));
        } else if (key === 'hosts' && (action === 'DENY' || action === 'CUSTOM') && !h.includes('*') && !hosts.includes(`${h}:*`)) {
          out.push(finding(RULES.authzHostNeverMatches, m, at,
            `${action} for host ${JSON.stringify(h)} without ${JSON.stringify(`${h}:*`)}: a request for ${h}:443 is not ${action === 'DENY' ? 'denied' : 'checked'}`));
        } else if (key === 'hosts' && (action === 'DENY' || action === 'CUSTOM') && h.startsWith('*.') && !h.endsWith('*') &&
            !h.includes(':') && !hosts.some(x => x.startsWith(`${h}:`))) {
          out.push(finding(RULES.authzHostNeverMatches, m, at,
            `${action} for ${JSON.stringify(h)} without ${JSON.stringify(`${h}:443`)}: a suffix match of ${JSON.stringify(h.slice(1))} misses ` +
            `a.${h.slice(2)}:443, which is not ${action === 'DENY' ? 'denied' : 'checked'}`));
        }
      });
    }
  }));
  return out;
});

const gatewayHosts: Check = set => set.of('Gateway', 'networking.istio.io').flatMap(m => {
  const out: Finding[] = [];
  (m.doc.spec?.servers ?? []).forEach((s: any, i: number) => (s.hosts ?? []).forEach((h: string, j: number) => {
    if (typeof h === 'string' && (!h.includes('/') || h.startsWith('*/'))) {
      out.push(finding(RULES.gatewayHostsAnyNamespace, m, `spec.servers[${i}].hosts[${j}]`,
        `${JSON.stringify(h)} lets a VirtualService in any namespace take over the host`));
    }
  }));
  return out;
});

const wasm: Check = set => set.of('WasmPlugin', 'istio.io').flatMap(m => {
  const out: Finding[] = [];
  if (m.doc.spec?.failStrategy === 'FAIL_OPEN') {
    out.push(finding(RULES.wasmFailOpen, m, 'spec.failStrategy', 'failStrategy FAIL_OPEN: a module that cannot be fetched lets every request through'));
  }
  const rules = m.doc.spec?.pluginConfig?.basic_auth_rules;
  if (Array.isArray(rules)) {
    rules.forEach((r: any, i: number) => {
      const methods: string[] = r.request_methods ?? [];
      if (!methods.includes('POST')) {
        out.push(finding(RULES.basicAuthMethods, m, `spec.pluginConfig.basic_auth_rules[${i}].request_methods`,
          `methods ${JSON.stringify(methods)}: POST requests (every gRPC call) pass without credentials`));
      }
      (r.credentials ?? []).forEach((c: unknown, k: number) => {
        if (typeof c === 'string') {
          out.push(finding(RULES.credentialsInClear, m, `spec.pluginConfig.basic_auth_rules[${i}].credentials[${k}]`,
            `a basic_auth credential (${c.includes(':') ? 'plaintext user:password' : 'base64 of user:password'}) in the WasmPlugin: anyone who can read it has the password`));
        }
      });
    });
  }
  return out;
});

// ---------------------------------------------------------------------------------------------
// JWT providers

/**
 * Whether a policy checks the header a token's exp is copied to. `request.auth.claims[exp]` cannot:
 * Istio matches only string and list claims, and exp is a number.
 */
function claimChecked(policies: Manifest[], target: any, header: string | undefined): boolean {
  const key = `request.headers[${String(header).toLowerCase()}]`;
  return header !== undefined && policies.some(p => overlaps(target, p.doc) &&
    (p.doc.spec?.rules ?? []).some((r: any) => (r.when ?? []).some((w: any) => String(w.key).toLowerCase() === key)));
}

/** The audiences of Kubernetes service-account tokens that every pod gets (the API server's own). */
const API_SERVER_AUDIENCES = ['https://kubernetes.default.svc.cluster.local', 'https://kubernetes.default.svc', 'kubernetes.default.svc'];

const jwtProviders: Check = set => {
  const out: Finding[] = [];
  const policies = set.of('AuthorizationPolicy', 'istio.io');
  for (const m of set.of('RequestAuthentication', 'istio.io')) {
    (m.doc.spec?.jwtRules ?? []).forEach((rule: any, i: number) => {
      const audChecked = policies.some(p => overlaps(m.doc, p.doc) &&
        (p.doc.spec?.rules ?? []).some((r: any) => (r.when ?? []).some((w: any) => w.key === 'request.auth.audiences')));
      if ((rule.audiences ?? []).length === 0 && !audChecked) {
        out.push(finding(RULES.jwtAudiences, m, `spec.jwtRules[${i}].audiences`,
          `issuer ${JSON.stringify(rule.issuer)} without audiences, and no policy checks request.auth.audiences: a token this issuer made for another service is accepted`));
      }
      if (/kubernetes\.default\.svc|oidc\.eks\.|container\.googleapis\.com|sts\.windows\.net/.test(String(rule.issuer)) &&
          (rule.audiences ?? []).some((a: string) => API_SERVER_AUDIENCES.includes(a))) {
        out.push(finding(RULES.jwtAudiences, m, `spec.jwtRules[${i}].audiences`,
          `issuer ${JSON.stringify(rule.issuer)} (Kubernetes service accounts) with the API server's audience: every pod's default token is accepted`));
      }
      const expHeader = (rule.outputClaimToHeaders ?? []).find((h: any) => h.claim === 'exp')?.header;
      if (!claimChecked(policies, m.doc, expHeader)) {
        out.push(finding(RULES.jwtExpiry, m, `spec.jwtRules[${i}]`,
          `issuer ${JSON.stringify(rule.issuer)}: Istio does not require exp, and no policy checks it: a token without expiry is accepted`, 'warning'));
      }
    });
  }
  for (const m of set.of('SecurityPolicy', 'gateway.envoyproxy.io')) {
    const expHeader = (p: any) => (p.claimToHeaders ?? []).find((c: any) => c.claim === 'exp')?.header;
    (m.doc.spec?.jwt?.providers ?? []).forEach((p: any, i: number) => {
      if ((p.audiences ?? []).length === 0) {
        out.push(finding(RULES.jwtAudiences, m, `spec.jwt.providers[${i}].audiences`, `provider ${JSON.stringify(p.name)} without audiences`));
      }
      const h = expHeader(p);
      const rules: any[] = m.doc.spec?.authorization?.rules ?? [];
      const checked = h !== undefined && rules.some(r => JSON.stringify(r).toLowerCase().includes(String(h).toLowerCase()));
      if (!checked) {
        out.push(finding(RULES.jwtExpiry, m, `spec.jwt.providers[${i}]`,
          `provider ${JSON.stringify(p.name)}: Envoy Gateway sets no require_expiration, and no authorization rule checks exp`, 'warning'));
      }
    });
  }
  for (const b of envoyBootstraps(set)) {
    for (const { hcm, at } of connectionManagers(b)) {
      (hcm.http_filters ?? []).forEach((f: any, fi: number) => {
        const c = f.typed_config ?? f.config;
        if (!String(c?.['@type'] ?? '').endsWith('JwtAuthentication') && !/jwt_authn/.test(String(f.name))) {
          return;
        }
        const fat = `${at}.http_filters[${fi}].${f.typed_config ? 'typed_config' : 'config'}`;
        for (const [name, p] of Object.entries<any>(c.providers ?? {}).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) {
          if ((p.audiences ?? []).length === 0) {
            out.push(finding(RULES.jwtAudiences, b.manifest, inBootstrap(b, `${fat}.providers.${name}.audiences`), `provider ${name} without audiences`));
          }
          if (typeof p.clock_skew_seconds === 'number' && p.clock_skew_seconds > 300) {
            out.push(finding(RULES.jwtExpiry, b.manifest, inBootstrap(b, `${fat}.providers.${name}.clock_skew_seconds`),
              `provider ${name}: clock_skew_seconds ${p.clock_skew_seconds} accepts tokens that expired that long ago (at most 300)`));
          }
          if (p.require_expiration !== true) {
            out.push(finding(RULES.jwtExpiry, b.manifest, inBootstrap(b, `${fat}.providers.${name}.require_expiration`),
              `provider ${name} without require_expiration: a token without exp never expires`));
          }
        }
        const rules: any[] = c.rules ?? [];
        rules.forEach((r, i) => {
          if (r.requires !== undefined || r.requirement_name !== undefined) {
            return;
          }
          const shadowed = rules.slice(i + 1).filter(l => (l.requires !== undefined || l.requirement_name !== undefined) && covers(r.match, l.match));
          if (shadowed.length > 0) {
            out.push(finding(RULES.jwtRuleOrder, b.manifest, inBootstrap(b, `${fat}.rules[${i}]`),
              `rule ${i} (${JSON.stringify(r.match ?? {})}) needs no token and matches before ${shadowed.map(l => JSON.stringify(l.match ?? {})).join(', ')}`));
          }
        });
      });
    }
  }
  return out;
};

/** Whether every path route match `b` takes is also taken by `a` (prefix/path only; anything else: no). */
function covers(a: any, b: any): boolean {
  const ap = a?.prefix ?? (a?.path === undefined && a?.safe_regex === undefined && a?.path_separated_prefix === undefined ? '' : undefined);
  const bp = b?.prefix ?? b?.path ?? b?.path_separated_prefix;
  return ap !== undefined && typeof bp === 'string' && bp.startsWith(ap) && !a?.headers && !a?.query_parameters;
}

// ---------------------------------------------------------------------------------------------
// Envoy bootstraps

const envoyConfig: Check = set => {
  const out: Finding[] = [];
  for (const b of envoyBootstraps(set)) {
    const v2: string[] = [];
    const walk = (o: any, at: string) => {
      if (Array.isArray(o)) {
        o.forEach((x, i) => walk(x, `${at}[${i}]`));
      } else if (o && typeof o === 'object') {
        if (o.config !== undefined && typeof o.name === 'string' && o.typed_config === undefined) {
          v2.push(`${at}.config`);
        }
        for (const [k, v] of Object.entries(o)) {
          if (typeof v === 'string' && /envoy\.(api\.v2|config\.filter\.)|type\.googleapis\.com\/envoy\.api\.v2/.test(v)) {
            v2.push(`${at ? `${at}.` : ''}${k}`);
          }
          walk(v, at ? `${at}.${k}` : k);
        }
      }
    };
    walk(b.bootstrap, '');
    for (const at of v2) {
      out.push(finding(RULES.envoyV2, b.manifest, inBootstrap(b, at), `${at}: a v2 field, which Envoy 1.18+ refuses`));
    }
    const admin = b.bootstrap.admin?.address?.socket_address?.address;
    if (typeof admin === 'string' && !['127.0.0.1', '::1', 'localhost'].includes(admin)) {
      out.push(finding(RULES.envoyAdmin, b.manifest, inBootstrap(b, 'admin.address.socket_address.address'), `admin listens on ${admin}`));
    }
    const grpc = /grpc|http2_protocol_options/.test(JSON.stringify(b.bootstrap));
    for (const { hcm, at } of connectionManagers(b)) {
      const missing = ['normalize_path', 'merge_slashes'].filter(k => hcm[k] !== true);
      // Path spellings matter where a filter decides by path: authentication, authorization.
      const byPath = (hcm.http_filters ?? []).some((f: any) => /jwt_authn|ext_authz|rbac|basic_auth|oauth2/.test(String(f.name)));
      if (missing.length > 0 && byPath) {
        out.push(finding(RULES.envoyPaths, b.manifest, inBootstrap(b, at), `${missing.join(' and ')} not set: the HTTP connection manager matches raw paths`));
      }
    }
    (b.bootstrap.static_resources?.listeners ?? []).forEach((l: any, li: number) => (l.filter_chains ?? []).forEach((fc: any, ci: number) => {
      const ts = fc.transport_socket;
      const ctx = ts?.typed_config ?? ts?.config;
      if (ts === undefined || !/tls/.test(String(ts.name ?? '') + String(ctx?.['@type'] ?? '')) || !grpc) {
        return;
      }
      const alpn: string[] = ctx?.common_tls_context?.alpn_protocols ?? [];
      if (!alpn.includes('h2')) {
        out.push(finding(RULES.alpnNoH2, b.manifest, inBootstrap(b, `static_resources.listeners[${li}].filter_chains[${ci}].transport_socket`),
          `alpn_protocols ${JSON.stringify(alpn)} without h2 on a listener in front of gRPC`));
      }
    }));
  }
  return out;
};

// ---------------------------------------------------------------------------------------------
// gRPC ports and ALPN

const GRPC_PORT_NAME = /^(grpc|grpc-web|http2|h2c)(-.*)?$/;
const GRPC_APP_PROTOCOLS = ['grpc', 'grpc-web', 'http2', 'kubernetes.io/h2c'];
const WELL_KNOWN_GRPC_PORTS = [50051, 8500, 8001, 7070, 8033];

/** A gRPC request path: `/package.Service/` or `/package.Service/Method`. */
const GRPC_PATH = /^\/([a-z_][a-z0-9_]*\.)+[A-Z][A-Za-z0-9_]*\/([A-Z][A-Za-z0-9_]*)?$/;

/** Whether a route to this Service says gRPC: its name, or a match on a gRPC service path. */
function grpcRoute(route: Manifest, svc: Manifest): string | undefined {
  const svcName = String(svc.doc.metadata?.name);
  for (const r of route.doc.spec?.http ?? []) {
    const toSvc = (r.route ?? []).some((d: any) => String(d.destination?.host ?? '').split('.')[0] === svcName);
    if (!toSvc) {
      continue;
    }
    if (/grpc/i.test(String(r.name ?? ''))) {
      return `route ${r.name} of VirtualService ${route.doc.metadata?.name}`;
    }
    const p = (r.match ?? []).map((m: any) => m.uri?.prefix ?? m.uri?.exact).find((x: any) => typeof x === 'string' && GRPC_PATH.test(x));
    if (p) {
      return `VirtualService ${route.doc.metadata?.name} matches the gRPC path ${p}`;
    }
  }
  return undefined;
}

/** Whether anything says this Service port serves gRPC. */
function grpcSignal(set: ManifestSet, svc: Manifest, port: any, route: Manifest): string | undefined {
  const text = [svc.doc.metadata?.name, port.name, typeof port.targetPort === 'string' ? port.targetPort : ''].join(' ');
  if (/grpc/i.test(text)) {
    return 'its name says gRPC';
  }
  const byRoute = grpcRoute(route, svc);
  if (byRoute) {
    return byRoute;
  }
  const target = port.targetPort ?? port.port;
  for (const pod of podsOf(set, svc)) {
    for (const c of pod.spec.containers ?? []) {
      for (const cp of c.ports ?? []) {
        if ((cp.containerPort === target || cp.name === target) && /grpc/i.test(String(cp.name ?? ''))) {
          return `container port ${cp.name} of ${pod.manifest.doc.kind} ${pod.manifest.doc.metadata?.name}`;
        }
      }
      const env = (c.env ?? []).find((e: any) => /grpc/i.test(String(e.name ?? '')) && String(e.value) === String(target));
      if (env) {
        return `${env.name}=${env.value} in ${pod.manifest.doc.kind} ${pod.manifest.doc.metadata?.name}`;
      }
    }
  }
  const n = typeof port.targetPort === 'number' ? port.targetPort : port.port;
  return WELL_KNOWN_GRPC_PORTS.includes(n) ? `port ${n} is a well-known gRPC port` : undefined;
}

const grpcPorts: Check = set => {
  const out: Finding[] = [];
  const seen = new Set<string>();
  const grpcRouted = new Set(set.of('GRPCRoute', 'gateway.networking.k8s.io').flatMap(m => (m.doc.spec?.rules ?? []).flatMap((r: any) =>
    (r.backendRefs ?? []).map((b: any) => `${b.namespace ?? namespaceOf(m.doc)}/${b.name}:${b.port}`))));
  for (const ref of routedServices(set).filter(r => r.via === 'istio' || r.via === 'gateway-api')) {
    const svc = serviceOf(set, ref);
    if (!svc) {
      out.push(...containerPortWithoutService(set, ref, seen));
      continue;
    }
    (svc.doc.spec?.ports ?? []).forEach((p: any, i: number) => {
      const key = `${ref.namespace}/${ref.name}:${p.port}`;
      if ((ref.port !== undefined && p.port !== ref.port) || seen.has(key)) {
        return;
      }
      if (GRPC_PORT_NAME.test(String(p.name ?? '')) || GRPC_APP_PROTOCOLS.includes(p.appProtocol)) {
        return;
      }
      const signal = grpcRouted.has(key) ? 'a GRPCRoute sends gRPC to it' : grpcSignal(set, svc, p, ref.by);
      if (signal && (ref.via === 'istio' || grpcRouted.has(key))) {
        seen.add(key);
        out.push(finding(RULES.grpcPort, svc, `spec.ports[${i}]${p.name === undefined ? '' : '.name'}`,
          `port ${p.port} (${p.name === undefined ? 'unnamed' : `named ${p.name}`}) serves gRPC (${signal}) but is not declared as gRPC`));
      }
    });
  }
  return out;
};

/**
 * A route to a Service the manifests do not hold: the workload of that name, if there is one,
 * shows the port's name the Service most likely copies.
 */
function containerPortWithoutService(set: ManifestSet, ref: { namespace: string; name: string; port?: number }, seen: Set<string>): Finding[] {
  const out: Finding[] = [];
  for (const pod of podTemplates(set)) {
    if (pod.namespace !== ref.namespace || (pod.manifest.doc.metadata?.name !== ref.name && !Object.values(pod.labels).includes(ref.name))) {
      continue;
    }
    (pod.spec.containers ?? []).forEach((c: any, i: number) => (c.ports ?? []).forEach((p: any, j: number) => {
      const key = `${ref.namespace}/${ref.name}:${p.containerPort}`;
      if ((ref.port !== undefined && p.containerPort !== ref.port) || seen.has(key) || GRPC_PORT_NAME.test(String(p.name ?? ''))) {
        return;
      }
      if (/grpc/i.test(`${ref.name} ${p.name ?? ''}`) || WELL_KNOWN_GRPC_PORTS.includes(p.containerPort)) {
        seen.add(key);
        out.push(finding(RULES.grpcPort, pod.manifest, `${pod.at}.containers[${i}].ports[${j}]`,
          `routes send gRPC to ${ref.name}:${p.containerPort}, whose Service is not in these manifests; the container names the port ` +
          `${p.name === undefined ? '(none)' : p.name}, and a Service port named like it makes Istio speak HTTP/1.1`, 'warning'));
      }
    }));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// KServe isolation

const kserveActivator: Check = set => set.of('InferenceService', 'serving.kserve.io').flatMap(m => {
  const ns = namespaceOf(m.doc);
  const a = { ...(m.doc.metadata?.annotations ?? {}), ...(m.doc.spec?.predictor?.annotations ?? {}) };
  if (/^(RawDeployment|Standard|ModelMesh)$/.test(String(a['serving.kserve.io/deploymentMode'] ?? ''))) {
    return [];
  }
  const viaActivator = set.of('AuthorizationPolicy', 'istio.io').find(p => namespaceOf(p.doc) === ns && (p.doc.spec?.action ?? 'ALLOW') === 'ALLOW' &&
    (p.doc.spec?.rules ?? []).some((r: any) => policySources(r).some((s: any) => (s.namespaces ?? []).includes('knative-serving')) &&
      !(r.to ?? []).some((t: any) => t.operation?.paths)));
  if (!viaActivator) {
    return [];
  }
  const out: Finding[] = [];
  const why = `AuthorizationPolicy ${viaActivator.doc.metadata?.name} admits knative-serving on every path, and the activator forwards any caller's request without the caller's identity`;
  if (a['autoscaling.knative.dev/targetBurstCapacity'] !== '0') {
    out.push(finding(RULES.kserveActivator, m, 'metadata.annotations',
      `autoscaling.knative.dev/targetBurstCapacity is ${a['autoscaling.knative.dev/targetBurstCapacity'] === undefined ? 'unset' : JSON.stringify(a['autoscaling.knative.dev/targetBurstCapacity'])}, not "0": the activator stays in the request path; ${why}`));
  }
  const min = m.doc.spec?.predictor?.minReplicas;
  if (min === undefined || min === 0) {
    out.push(finding(RULES.kserveActivator, m, 'spec.predictor.minReplicas',
      `minReplicas ${min === undefined ? 'unset' : 0}: scale to zero puts the activator back in the request path; ${why}`));
  }
  return out;
});

const ALPN_ANNOTATION = 'service.beta.kubernetes.io/aws-load-balancer-alpn-policy';
const CERT_ANNOTATION = 'service.beta.kubernetes.io/aws-load-balancer-ssl-cert';

function mentionsGrpc(set: ManifestSet): boolean {
  return set.of('GRPCRoute').length > 0 || set.all.some(m => m.doc.kind === 'Service' &&
    (m.doc.spec?.ports ?? []).some((p: any) => /grpc/i.test(String(p.name ?? '')) || p.appProtocol === 'grpc'));
}

const alpn: Check = set => {
  const out: Finding[] = [];
  const grpc = mentionsGrpc(set);
  const check = (m: Manifest, annotations: any, at: string) => {
    if (!annotations?.[CERT_ANNOTATION]) {
      return;
    }
    const v = annotations[ALPN_ANNOTATION];
    if (v === undefined || v === 'None' || v === 'HTTP1Only') {
      out.push(finding(RULES.alpnNoH2, m, v === undefined ? at : `${at}["${ALPN_ANNOTATION}"]`,
        `the NLB ends TLS with ALPN ${v ?? 'None (the default)'}: gRPC clients that require h2 in ALPN fail`, grpc ? 'error' : 'warning'));
    }
  };
  for (const m of set.of('Service', '')) {
    check(m, m.doc.metadata?.annotations, 'metadata.annotations');
  }
  for (const m of set.of('Gateway', 'gateway.networking.k8s.io')) {
    check(m, m.doc.spec?.infrastructure?.annotations, 'spec.infrastructure.annotations');
  }
  for (const m of set.of('ClientTrafficPolicy', 'gateway.envoyproxy.io')) {
    const a = m.doc.spec?.tls?.alpnProtocols;
    if (Array.isArray(a) && !a.includes('h2') && grpc) {
      out.push(finding(RULES.alpnNoH2, m, 'spec.tls.alpnProtocols', `alpnProtocols ${JSON.stringify(a)} without h2 in front of gRPC`));
    }
  }
  return out;
};

// ---------------------------------------------------------------------------------------------
// Secrets in the clear

const PEM_PRIVATE = /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/;
const JWK_PRIVATE = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];

function privateJwkMembers(text: unknown): string[] {
  let v: any = text;
  if (typeof text === 'string') {
    if (!/"keys"|"kty"/.test(text)) {
      return [];
    }
    try {
      v = JSON.parse(text);
    } catch {
      return [];
    }
  }
  const keys: any[] = Array.isArray(v?.keys) ? v.keys : v?.kty ? [v] : [];
  return [...new Set(keys.flatMap(k => (k && typeof k === 'object' ? JWK_PRIVATE.filter(p => k[p] !== undefined) : [])))];
}

/** Every string in a document with its field path. */
function strings(o: any, at = ''): { at: string; value: string; key: string }[] {
  const out: { at: string; value: string; key: string }[] = [];
  const walk = (x: any, p: string, key: string) => {
    if (typeof x === 'string') {
      out.push({ at: p, value: x, key });
    } else if (Array.isArray(x)) {
      x.forEach((y, i) => walk(y, `${p}[${i}]`, key));
    } else if (x && typeof x === 'object') {
      for (const [k, v] of Object.entries(x)) {
        walk(v, p ? (/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? `${p}.${k}` : `${p}["${k}"]`) : k, k);
      }
    }
  };
  walk(o, at, '');
  return out;
}

const USER_PASSWORD = /^[^:\s]{1,64}:[^\s]{1,256}$/;
const CREDENTIAL_KEYS = /^(password|passwd|credentials?|basic_?auth|auth|users|htpasswd|\.htpasswd)$/i;

function decodedUserPassword(value: string): boolean {
  if (!/^[A-Za-z0-9+/]{8,}={0,2}$/.test(value)) {
    return false;
  }
  const text = Buffer.from(value, 'base64').toString('utf8');
  return USER_PASSWORD.test(text) && !/[^\x20-\x7e]/.test(text);
}

const secretsInClear: Check = set => {
  const out: Finding[] = [];
  for (const b of envoyBootstraps(set)) {
    for (const s of strings(b.bootstrap)) {
      const jwk = privateJwkMembers(s.value);
      if (jwk.length > 0) {
        out.push(finding(RULES.privateKey, b.manifest, inBootstrap(b, s.at), `a JWKS with private key members (${jwk.join(', ')}) in an Envoy bootstrap`));
      }
    }
  }
  for (const m of set.all) {
    if (m.doc.kind === 'Secret' && groupOf(m.doc) === '') {
      continue;
    }
    for (const s of strings(m.doc)) {
      if (s.at.startsWith('metadata.') && !s.at.startsWith('metadata.annotations')) {
        continue;
      }
      if (PEM_PRIVATE.test(s.value)) {
        out.push(finding(RULES.privateKey, m, s.at, `a PEM private key in a ${m.doc.kind}`));
        continue;
      }
      const jwk = privateJwkMembers(s.value);
      if (jwk.length > 0) {
        out.push(finding(RULES.privateKey, m, s.at, `a JWKS with private key members (${jwk.join(', ')}) in a ${m.doc.kind}`));
        continue;
      }
      if (m.doc.kind === 'WasmPlugin' || !CREDENTIAL_KEYS.test(s.key)) {
        continue; // WasmPlugin credentials: see the wasm check
      }
      const lines = s.value.split('\n').filter(l => l.trim().length > 0);
      if (lines.length > 0 && lines.every(l => USER_PASSWORD.test(l.trim()))) {
        out.push(finding(RULES.credentialsInClear, m, s.at, `user:password lines in a ${m.doc.kind} (${s.key}): credentials belong in a Secret`));
      } else if (decodedUserPassword(s.value)) {
        out.push(finding(RULES.credentialsInClear, m, s.at, `base64 of user:password in a ${m.doc.kind} (${s.key})`));
      }
    }
  }
  return out;
};

/** How an htpasswd hash holds up: undefined when it is bcrypt of a sane cost, or a crypt of SHA-2. */
export function htpasswdWeakness(hash: string): { severity: Severity; why: string } | undefined {
  const bcrypt = /^\$2[abxy]\$(\d\d)\$[./A-Za-z0-9]{53}$/.exec(hash);
  if (bcrypt) {
    return Number(bcrypt[1]) < 10 ? { severity: 'warning', why: `bcrypt of cost ${Number(bcrypt[1])} (10 or more)` } : undefined;
  }
  if (/^\$[56]\$/.test(hash)) {
    return undefined;
  }
  if (/^\{SHA\}[A-Za-z0-9+/]{27}=$/.test(hash)) {
    return { severity: 'warning', why: 'unsalted SHA-1 ({SHA})' };
  }
  if (/^\$(apr1|1)\$/.test(hash)) {
    return { severity: 'warning', why: 'MD5-crypt' };
  }
  if (/^[./0-9A-Za-z]{13}$/.test(hash)) {
    return { severity: 'warning', why: 'DES crypt (8 characters at most)' };
  }
  return { severity: 'error', why: 'a plaintext password' };
}

const htpasswd: Check = set => {
  const out: Finding[] = [];
  const referenced = new Set<string>();
  for (const m of [...set.of('Middleware', 'traefik.io'), ...set.of('Middleware', 'traefik.containo.us')]) {
    if (typeof m.doc.spec?.basicAuth?.secret === 'string') {
      referenced.add(`${namespaceOf(m.doc)}/${m.doc.spec.basicAuth.secret}`);
    }
  }
  for (const m of set.of('SecurityPolicy', 'gateway.envoyproxy.io')) {
    const u = m.doc.spec?.basicAuth?.users;
    if (typeof u?.name === 'string') {
      referenced.add(`${u.namespace ?? namespaceOf(m.doc)}/${u.name}`);
    }
  }
  for (const m of set.of('Secret', '')) {
    const byRef = referenced.has(`${namespaceOf(m.doc)}/${m.doc.metadata?.name}`);
    const entries: [string, string, string][] = [
      ...Object.entries(m.doc.data ?? {}).map(([k, v]): [string, string, string] =>
        [k, typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : '', /^[A-Za-z0-9_]+$/.test(k) ? `data.${k}` : `data["${k}"]`]),
      ...Object.entries(m.doc.stringData ?? {}).map(([k, v]): [string, string, string] =>
        [k, typeof v === 'string' ? v : '', /^[A-Za-z0-9_]+$/.test(k) ? `stringData.${k}` : `stringData["${k}"]`]),
    ];
    for (const [key, text, at] of entries) {
      if (!byRef && !/^(users|auth|\.?htpasswd)$/.test(key)) {
        continue;
      }
      const lines = text.split('\n').map(l => l.trim()).filter(l => l.length > 0 && !l.startsWith('#'));
      if (lines.length === 0 || !lines.every(l => /^[^:\s]+:\S+$/.test(l))) {
        continue;
      }
      lines.forEach((l, i) => {
        const [user, ...rest] = l.split(':');
        const weak = htpasswdWeakness(rest.join(':'));
        if (weak) {
          out.push(finding(RULES.htpasswdHash, m, at, `line ${i + 1} (user ${JSON.stringify(user)}): ${weak.why}`, weak.severity));
        }
      });
    }
  }
  return out;
};

// ---------------------------------------------------------------------------------------------
// External authorization

const extAuth: Check = set => {
  const out: Finding[] = [];
  for (const m of set.of('SecurityPolicy', 'gateway.envoyproxy.io')) {
    if (m.doc.spec?.extAuth?.failOpen === true) {
      out.push(finding(RULES.extAuthFailOpen, m, 'spec.extAuth.failOpen', 'extAuth.failOpen true'));
    }
  }
  const providers = (m: Manifest, mesh: any, at: string) => (mesh?.extensionProviders ?? []).forEach((p: any, i: number) => {
    for (const kind of ['envoyExtAuthzHttp', 'envoyExtAuthzGrpc']) {
      if (p?.[kind]?.failOpen === true) {
        out.push(finding(RULES.extAuthFailOpen, m, `${at}.extensionProviders[${i}].${kind}.failOpen`, `extension provider ${JSON.stringify(p.name)} fails open`));
      }
    }
  });
  for (const m of set.of('IstioOperator', 'install.istio.io')) {
    providers(m, m.doc.spec?.meshConfig, 'spec.meshConfig');
  }
  for (const m of set.of('ConfigMap', '')) {
    if (typeof m.doc.data?.mesh === 'string' && /extensionProviders/.test(m.doc.data.mesh)) {
      try {
        providers(m, parse(m.doc.data.mesh), 'data.mesh');
      } catch {
        // not YAML
      }
    }
  }
  return out;
};

// ---------------------------------------------------------------------------------------------
// Pod Security on the request path

const BASELINE_CAPS = ['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT'];
const PROXY_IMAGE = /(^|\/)(envoy|traefik|proxyv2|oauth2-proxy|nginx|haproxy)([:@-]|$)|envoyproxy\//;

const podSecurity: Check = set => {
  const out: Finding[] = [];
  const onPath = new Set<Manifest>();
  for (const ref of routedServices(set)) {
    const svc = serviceOf(set, ref);
    if (svc) {
      podsOf(set, svc).forEach(p => onPath.add(p.manifest));
    }
  }
  for (const pod of podTemplates(set)) {
    const containers: any[] = [...(pod.spec.containers ?? []), ...(pod.spec.initContainers ?? [])];
    if (!onPath.has(pod.manifest) && !containers.some(c => PROXY_IMAGE.test(String(c.image ?? '')))) {
      continue;
    }
    const baseline: string[] = [];
    const restricted: string[] = [];
    const at = pod.at;
    for (const k of ['hostNetwork', 'hostPID', 'hostIPC']) {
      if (pod.spec[k] === true) {
        baseline.push(`${at}.${k}`);
      }
    }
    (pod.spec.volumes ?? []).forEach((v: any, i: number) => v?.hostPath && baseline.push(`${at}.volumes[${i}].hostPath`));
    const psc = pod.spec.securityContext ?? {};
    const groups: [string, any[]][] = [['containers', pod.spec.containers ?? []], ['initContainers', pod.spec.initContainers ?? []]];
    for (const [group, list] of groups) {
      list.forEach((c: any, i: number) => {
        const cat = `${at}.${group}[${i}]`;
        const sc = c.securityContext ?? {};
        if (sc.privileged === true) {
          baseline.push(`${cat}.securityContext.privileged`);
        }
        (c.ports ?? []).forEach((p: any, j: number) => p?.hostPort && baseline.push(`${cat}.ports[${j}].hostPort`));
        const add: string[] = sc.capabilities?.add ?? [];
        if (add.some(x => !BASELINE_CAPS.includes(x))) {
          baseline.push(`${cat}.securityContext.capabilities.add`);
        } else if (add.some(x => x !== 'NET_BIND_SERVICE')) {
          restricted.push(`${cat}.securityContext.capabilities.add`);
        }
        if (sc.allowPrivilegeEscalation !== false) {
          restricted.push(`${cat}.securityContext.allowPrivilegeEscalation`);
        }
        if ((sc.runAsNonRoot ?? psc.runAsNonRoot) !== true) {
          restricted.push(`${cat}.securityContext.runAsNonRoot`);
        }
        if ((sc.runAsUser ?? psc.runAsUser) === 0) {
          restricted.push(`${cat}.securityContext.runAsUser`);
        }
        if (!(sc.capabilities?.drop ?? []).includes('ALL')) {
          restricted.push(`${cat}.securityContext.capabilities.drop`);
        }
        const seccomp = sc.seccompProfile?.type ?? psc.seccompProfile?.type;
        if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') {
          restricted.push(`${cat}.securityContext.seccompProfile`);
        }
      });
    }
    const all = [...baseline, ...restricted];
    if (all.length > 0) {
      const name = `${pod.manifest.doc.kind} ${pod.manifest.doc.metadata?.name}`;
      out.push(finding(RULES.podSecurity, pod.manifest, all[0],
        `${name} is below the ${baseline.length > 0 ? '"baseline"' : '"restricted"'} profile: ${all.map(a => a.slice(at.length + 1)).join(', ')}`,
        baseline.length > 0 ? 'error' : 'warning'));
    }
  }
  return out;
};

/** Every static check. */
// ---------------------------------------------------------------------------------------------
// One document per object

/**
 * Documents for the same object: kubectl, Argo CD and Flux keep only the last one applied. A copy
 * that differs replaces what the first one set (an error); an identical copy changes nothing (a
 * note). Each later document is reported, pointing at the first.
 */
const duplicateObject: Check = set => {
  const byObject = new Map<string, Manifest[]>();
  for (const m of set.all) {
    const name = m.doc?.metadata?.name;
    if (typeof name === 'string' && typeof m.doc?.kind === 'string') {
      const key = `${groupOf(m.doc)}/${m.doc.kind} ${namespaceOf(m.doc)}/${name}`;
      byObject.set(key, [...(byObject.get(key) ?? []), m]);
    }
  }
  const out: Finding[] = [];
  for (const copies of byObject.values()) {
    // The first by file and position, whatever order the files were given in.
    const [first, ...others] = [...copies].sort((x, y) => (x.file < y.file ? -1 : x.file > y.file ? 1 : x.index - y.index));
    const line = lineOf(first, 'metadata.name');
    const at = line === undefined ? `${first.file} (document ${first.index + 1})` : `${first.file}:${line}`;
    for (const m of others) {
      const same = JSON.stringify(first.doc) === JSON.stringify(m.doc);
      out.push(finding(RULES.duplicateObject, m, 'metadata.name', same
        ? `an identical copy of the ${m.doc.kind} at ${at}`
        : `another ${m.doc.kind} of this namespace and name is at ${at}: the one applied last replaces the other`,
      same ? 'note' : 'error'));
    }
  }
  return out;
};

export const STATIC_CHECKS: Check[] = [
  duplicateObject, removedApi, traefikV1, requestAuthNotRequired, customPathOnly, mtlsPermissive, authzHosts, gatewayHosts, wasm,
  jwtProviders, envoyConfig, grpcPorts, kserveActivator, alpn, secretsInClear, htpasswd, extAuth, podSecurity,
];

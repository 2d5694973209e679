/**
 * A model of how Traefik v3 routes a request through IngressRoutes, Ingresses and their
 * Middlewares, for the attack tests. Written from traefik/traefik v3.7.9
 * (d0bd2ec198533d760c1abfc74b98033d6d92d039):
 *
 * - entry point (pkg/server/server_entrypoint_tcp.go `newHTTPServer`): a `#` in the path is
 *   refused (400, `denyFragment`); percent-encoded unreserved characters are decoded
 *   (`normalizePath`); `.`/`..` segments and doubled slashes are removed (`sanitizePath`, on by
 *   default; reserved escapes such as `%2F` stay encoded); client-sent X-Forwarded-* headers are
 *   deleted unless the entry point trusts them (pkg/middlewares/forwardedheaders
 *   `XForwarded.ServeHTTP`), then X-Forwarded-Proto is set from the connection;
 * - routers (pkg/server/router/router.go, pkg/muxer/http/matcher.go): TLS routers serve only
 *   TLS connections and others only plain ones; a router without entry points is on every
 *   entry point; `Host()` is case-insensitive, ignores the port and a trailing dot; `Path()` and
 *   `PathPrefix()` compare the routing path (`PathPrefix("/api")` matches `/api-admin`);
 *   `Method()` compares exactly; the longest rule wins; no match is 404;
 * - a router whose middleware does not exist is not built (pkg/server/middleware/middlewares.go);
 *   middlewares run in the listed order;
 * - Ingress (pkg/provider/kubernetes/ingress/kubernetes.go): `router.entrypoints`,
 *   `router.middlewares` (`<ns>-<name>@kubernetescrd`) and `router.tls` annotations; a `tls`
 *   section makes a TLS router; the Traefik v1 annotations (`ingress.kubernetes.io/auth-*`) do
 *   not exist in v2 and v3 and are ignored;
 * - redirectScheme (pkg/middlewares/redirect/redirect_scheme.go, redirect.go): the current URL
 *   takes its scheme from X-Forwarded-Proto (else from TLS) and keeps the Host's port; when the
 *   target URL equals it the request goes on to the next handler instead of being redirected;
 * - basicAuth (pkg/middlewares/auth/basic_auth.go; pkg/provider/kubernetes/crd/kubernetes.go
 *   `loadAuthCredentials`): users from a Secret with exactly one key of `user:hash` lines;
 *   bcrypt and `{SHA}` hashes; `removeHeader` deletes Authorization after a successful login;
 * - `noop@internal` answers 418 (pkg/server/service/internalhandler.go);
 * - forwardAuth (pkg/middlewares/auth/forward.go): a non-2xx answer of the authorization server
 *   is returned to the client; the server is not modeled (taken as refusing); headers, path
 *   rewriting, rate and IP limits and the other middlewares that do not authenticate pass the
 *   request on;
 * - router priority (pkg/server/router/router.go, muxer `AddRoute`): a route's `priority`, else
 *   the length of its rule; the highest first.
 */
import { createHash } from 'crypto';
import * as bcrypt from 'bcryptjs';
import { answered, lowerHeaders, Outcome } from './outcome';
import { AttackRequest } from './requests';

/** How Traefik's entry points are set up (static configuration). */
export interface TraefikModelOptions {
  /** Entry points that keep client X-Forwarded-* headers (`forwardedHeaders.trustedIPs` covering the client). */
  readonly trustForwardedHeaders?: boolean;
  /** `entryPoints.<ep>.http.sanitizePath`. @default true */
  readonly sanitizePath?: boolean;
}

interface Router {
  readonly name: string;
  /** The route's `priority`, else the length of its rule. */
  readonly priority: number;
  readonly entryPoints?: string[];
  readonly tls: boolean;
  readonly rule: string;
  readonly matcher: (host: string, path: string, method: string) => boolean;
  readonly middlewares: Middleware[];
  readonly service: string;
}

type Middleware =
  | { readonly kind: 'redirectScheme'; readonly scheme: string; readonly permanent: boolean; readonly port?: string }
  | { readonly kind: 'basicAuth'; readonly users: Map<string, string>; readonly removeHeader: boolean }
  | { readonly kind: 'forwardAuth'; readonly address: string }
  | { readonly kind: 'passThrough'; readonly what: string };

/**
 * Middlewares that neither authenticate nor answer on their own: for the model they pass the
 * request on (an IP allow list is taken as admitting the client: the worst case for a bypass).
 */
const PASS_THROUGH = ['headers', 'stripPrefix', 'stripPrefixRegex', 'addPrefix', 'replacePath', 'replacePathRegex', 'compress', 'rateLimit',
  'inFlightReq', 'retry', 'buffering', 'circuitBreaker', 'contentType', 'grpcWeb', 'ipAllowList', 'ipWhiteList', 'passTLSClientCert'];

const ENTRY_POINTS: { [name: string]: { tls: boolean } } = { web: { tls: false }, websecure: { tls: true } };
const UNRESERVED = /[A-Za-z0-9\-._~]/;
const bcryptCache = new Map<string, boolean>();

/** Traefik with the given manifests loaded by its kubernetescrd and kubernetes (Ingress) providers. */
export class TraefikModel {
  private readonly routers: Router[] = [];

  constructor(docs: any[], private readonly opts: TraefikModelOptions = {}) {
    const middlewares = new Map<string, any>();
    const secrets = new Map<string, any>();
    for (const d of docs) {
      const ns = d.metadata?.namespace ?? 'default';
      if (d.kind === 'Middleware') {
        middlewares.set(`${ns}/${d.metadata.name}`, d);
      } else if (d.kind === 'Secret') {
        secrets.set(`${ns}/${d.metadata.name}`, d);
      }
    }
    const loadMiddleware = (ns: string, name: string): Middleware | undefined => {
      const m = middlewares.get(`${ns}/${name}`);
      if (!m) {
        return undefined;
      }
      if (m.spec.redirectScheme) {
        const r = m.spec.redirectScheme;
        return { kind: 'redirectScheme', scheme: r.scheme, permanent: r.permanent === true, port: r.port };
      }
      if (m.spec.basicAuth) {
        const secret = secrets.get(`${ns}/${m.spec.basicAuth.secret}`);
        // The API server merges stringData into data (base64) when the Secret is written.
        const data: { [k: string]: string } = { ...(secret?.data ?? {}) };
        for (const [k, v] of Object.entries<string>(secret?.stringData ?? {})) {
          data[k] = Buffer.from(String(v), 'utf8').toString('base64');
        }
        // loadAuthCredentials: exactly one key; otherwise the middleware (and its router) is dropped.
        if (Object.keys(data).length !== 1) {
          return undefined;
        }
        const lines = Buffer.from(Object.values(data)[0] as string, 'base64').toString('utf8').split('\n').filter(l => l.length > 0);
        const users = new Map<string, string>();
        for (const line of lines) {
          const parts = line.split(':');
          if (parts.length !== 2) {
            return undefined;
          }
          users.set(parts[0], parts[1]);
        }
        return users.size === 0 ? undefined : { kind: 'basicAuth', users, removeHeader: m.spec.basicAuth.removeHeader === true };
      }
      if (m.spec.forwardAuth) {
        return { kind: 'forwardAuth', address: String(m.spec.forwardAuth.address ?? '') };
      }
      const kinds = Object.keys(m.spec ?? {});
      if (kinds.length === 1 && PASS_THROUGH.includes(kinds[0])) {
        return { kind: 'passThrough', what: kinds[0] };
      }
      throw new Error(`the model does not know middleware ${ns}/${name}: ${JSON.stringify(m.spec)}`);
    };

    for (const d of docs) {
      const ns = d.metadata?.namespace ?? 'default';
      if (d.kind === 'IngressRoute') {
        d.spec.routes.forEach((route: any, i: number) => {
          const mws = (route.middlewares ?? []).map((m: any) => loadMiddleware(m.namespace ?? ns, m.name));
          if (mws.some((m: Middleware | undefined) => m === undefined)) {
            return; // the router is not built
          }
          const svc = route.services[0];
          const service = svc.kind === 'TraefikService' ? svc.name : `${ns}/${svc.name}:${svc.port}`;
          this.routers.push({
            name: `${ns}/${d.metadata.name}#${i}`,
            priority: typeof route.priority === 'number' && route.priority > 0 ? route.priority : String(route.match).length,
            entryPoints: d.spec.entryPoints,
            tls: d.spec.tls !== undefined,
            rule: route.match,
            matcher: parseRule(route.match),
            middlewares: mws,
            service,
          });
        });
      } else if (d.kind === 'Ingress' && d.apiVersion === 'networking.k8s.io/v1') {
        const a = d.metadata.annotations ?? {};
        const prefix = 'traefik.ingress.kubernetes.io/router.';
        const entryPoints = a[`${prefix}entrypoints`]?.split(',').map((s: string) => s.trim());
        const refs: string[] = a[`${prefix}middlewares`]?.split(',').map((s: string) => s.trim()) ?? [];
        const mws = refs.map(ref => {
          const m = /^(.+)@kubernetescrd$/.exec(ref);
          if (!m) {
            return undefined;
          }
          // `<namespace>-<name>`: the Ingress's own namespace is the one to try.
          return m[1].startsWith(`${ns}-`) ? loadMiddleware(ns, m[1].slice(ns.length + 1)) : undefined;
        });
        if (mws.some(m => m === undefined)) {
          continue;
        }
        const tls = a[`${prefix}tls`] === 'true' || (d.spec.tls ?? []).length > 0;
        for (const rule of d.spec.rules ?? []) {
          for (const p of rule.http?.paths ?? []) {
            const pathRule = p.pathType === 'Exact' ? `Path(\`${p.path}\`)` : `PathPrefix(\`${p.path}\`)`;
            const r = rule.host ? `Host(\`${rule.host}\`) && ${pathRule}` : pathRule;
            const svc = p.backend.service;
            this.routers.push({
              name: `${ns}/${d.metadata.name}`,
              priority: Number(a[`${prefix}priority`]) > 0 ? Number(a[`${prefix}priority`]) : r.length,
              entryPoints,
              tls,
              rule: r,
              matcher: parseRule(r),
              middlewares: mws as Middleware[],
              service: `${ns}/${svc.name}:${svc.port.number ?? svc.port.name}`,
            });
          }
        }
      }
    }
  }

  /** Sends a request (to the `websecure` entry point over TLS for https, to `web` for http). */
  public handle(req: AttackRequest): Outcome {
    const entryPoint = req.scheme === 'https' ? 'websecure' : 'web';
    const tls = ENTRY_POINTS[entryPoint].tls;
    let path = req.path.split('?')[0];
    if (path.includes('#')) {
      return answered(400, 'denyFragment');
    }
    path = normalizeEscapes(path);
    if (this.opts.sanitizePath ?? true) {
      path = goJoinPath(path);
    }
    const headers = lowerHeaders(req.headers);
    if (!this.opts.trustForwardedHeaders) {
      for (const h of Object.keys(headers)) {
        if (h.startsWith('x-forwarded-') || h === 'x-real-ip') {
          delete headers[h];
        }
      }
      headers['x-forwarded-proto'] = tls ? 'https' : 'http';
    } else if (headers['x-forwarded-proto'] === undefined) {
      headers['x-forwarded-proto'] = tls ? 'https' : 'http';
    }
    const host = canonical(req.authority);
    const candidates = this.routers
      .filter(r => (r.entryPoints === undefined || r.entryPoints.includes(entryPoint)) && r.tls === tls)
      .sort((a, b) => b.priority - a.priority);
    const router = candidates.find(r => r.matcher(host, path, req.method));
    if (!router) {
      return answered(404, `no router on ${entryPoint} matches`);
    }
    for (const m of router.middlewares) {
      if (m.kind === 'redirectScheme') {
        const current = currentUrl(req.authority, path, tls, headers['x-forwarded-proto']);
        const target = `${m.scheme}://${req.authority.replace(/:\d*$/, '')}${m.port ? `:${m.port}` : ''}${path}`;
        if (current !== target) {
          return answered(m.permanent ? 301 : 302, `${router.name}: redirectScheme to ${target}`);
        }
        // newURL == oldURL: on to the next handler.
      } else if (m.kind === 'forwardAuth') {
        // forward.go: a non-2xx answer of the authorization server goes back to the client. The
        // server is not in the manifests: the model takes it as refusing.
        return answered(401, `${router.name}: forwardAuth to ${m.address} (an authorization server the model takes as refusing)`);
      } else if (m.kind === 'passThrough') {
        continue;
      } else {
        const user = basicAuth(headers.authorization);
        const hash = user ? m.users.get(user.name) : undefined;
        if (!user || hash === undefined || !checkSecret(user.password, hash)) {
          return answered(401, `${router.name}: basicAuth refused`);
        }
        if (m.removeHeader) {
          delete headers.authorization;
        }
      }
    }
    if (router.service === 'noop@internal') {
      return answered(418, `${router.name}: noop@internal`);
    }
    return { status: 200, backend: router.service, path, headers, why: `${router.name} (${router.rule})` };
  }
}

function canonical(authority: string): string {
  return authority.trim().toLowerCase().replace(/:\d*$/, '');
}

/** `clientRequestURL`: scheme from X-Forwarded-Proto, else the connection; default ports dropped. */
function currentUrl(authority: string, path: string, tls: boolean, xfp: string | undefined): string {
  let scheme = tls ? 'https' : 'http';
  if (xfp !== undefined && xfp !== '') {
    if (/^(http|ws)$/i.test(xfp)) {
      scheme = 'http';
    } else if (/^(https|wss)$/i.test(xfp)) {
      scheme = 'https';
    }
  }
  const m = /^(.*?)(:\d*)?$/.exec(authority)!;
  let port = m[2] ?? '';
  if ((scheme === 'http' && port === ':80') || (scheme === 'https' && port === ':443')) {
    port = '';
  }
  return `${scheme}://${m[1]}${port}${path}`;
}

/** `normalizePath`: decode percent-encoded unreserved characters, uppercase the other escapes. */
function normalizeEscapes(path: string): string {
  return path.replace(/%([0-9A-Fa-f]{2})/g, (_all, hex) => {
    const c = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.test(c) ? c : `%${hex.toUpperCase()}`;
  });
}

/** Go's `url.JoinPath()` on the escaped path: `path.Join` (clean) keeping one trailing slash. */
function goJoinPath(p: string): string {
  const abs = p.startsWith('/') ? p : `/${p}`;
  const out: string[] = [];
  for (const s of abs.split('/')) {
    if (s === '' || s === '.') {
      continue;
    }
    if (s === '..') {
      out.pop();
    } else {
      out.push(s);
    }
  }
  let cleaned = `/${out.join('/')}`;
  if (p.endsWith('/') && !cleaned.endsWith('/')) {
    cleaned += '/';
  }
  return cleaned;
}

/** Go's `Request.BasicAuth()`: case-insensitive scheme, standard base64, split at the first ':'. */
function basicAuth(value: string | undefined): { name: string; password: string } | undefined {
  if (value === undefined || value.length < 6 || value.slice(0, 6).toLowerCase() !== 'basic ') {
    return undefined;
  }
  const raw = value.slice(6);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(raw)) {
    return undefined;
  }
  const decoded = Buffer.from(raw, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  return i < 0 ? undefined : { name: decoded.slice(0, i), password: decoded.slice(i + 1) };
}

/** go-http-auth `CheckSecret` for the hash kinds the library writes or accepts. */
function checkSecret(password: string, hash: string): boolean {
  if (/^\$2[abxy]\$/.test(hash)) {
    const key = `${hash}\n${password}`;
    let ok = bcryptCache.get(key);
    if (ok === undefined) {
      ok = bcrypt.compareSync(password, hash);
      bcryptCache.set(key, ok);
    }
    return ok;
  }
  if (hash.startsWith('{SHA}')) {
    return createHash('sha1').update(password, 'utf8').digest('base64') === hash.slice(5);
  }
  return false;
}

/** Parses the rule expressions the tests use: Host, Path, PathPrefix, Method, `&&`, `||`, `!`, parentheses. */
export function parseRule(rule: string): (host: string, path: string, method: string) => boolean {
  const tokens = rule.match(/&&|\|\||!|\(|\)|[A-Za-z]+\(\s*(`[^`]*`|"[^"]*")\s*\)/g) ?? [];
  let i = 0;
  type M = (host: string, path: string, method: string) => boolean;
  const primary = (): M => {
    const t = tokens[i++];
    if (t === '!') {
      const inner = primary();
      return (h, p, m) => !inner(h, p, m);
    }
    if (t === '(') {
      const inner = or();
      i++; // ')'
      return inner;
    }
    const m = /^([A-Za-z]+)\(\s*[`"]([^`"]*)[`"]\s*\)$/.exec(t ?? '');
    if (!m) {
      throw new Error(`the model cannot parse rule ${rule}`);
    }
    const [, fn, arg] = m;
    switch (fn) {
      case 'Host': {
        const want = arg.toLowerCase();
        return h => h === want || h.replace(/\.$/, '') === want.replace(/\.$/, '');
      }
      case 'Path': return (_h, p) => p === arg;
      case 'PathPrefix': return (_h, p) => p.startsWith(arg);
      case 'Method': return (_h, _p, meth) => meth === arg.toUpperCase();
      default: throw new Error(`the model does not know matcher ${fn}`);
    }
  };
  const and = (): M => {
    let left = primary();
    while (tokens[i] === '&&') {
      i++;
      const l = left;
      const r = primary();
      left = (h, p, m) => l(h, p, m) && r(h, p, m);
    }
    return left;
  };
  const or = (): M => {
    let left = and();
    while (tokens[i] === '||') {
      i++;
      const l = left;
      const r = and();
      left = (h, p, m) => l(h, p, m) || r(h, p, m);
    }
    return left;
  };
  const matcher = or();
  if (i !== tokens.length) {
    throw new Error(`the model cannot parse rule ${rule}`);
  }
  return matcher;
}

/**
 * The request matrix of the attack tests: the ways a client can spell one request so that a
 * front door's rules and its routing disagree (the DOMAIN reference, section F).
 *
 * A variant changes one thing of a base request (host, path, method, scheme or headers); the
 * tests send every variant with every bad credential and assert that none reaches the backend
 * (and send the base request with good credentials, which must reach it).
 */
import { Outcome } from './outcome';

/** An HTTP request as a client sends it to a front door. */
export interface AttackRequest {
  /** `https` arrives on the TLS port (443), `http` on the plain port (80). */
  readonly scheme: 'http' | 'https';
  /** The Host header (HTTP/1.1) or :authority (HTTP/2), exactly as sent. */
  readonly authority: string;
  /** The method, exactly as sent (methods are case-sensitive). */
  readonly method: string;
  /** The request target: path and query, exactly as sent (not normalized). */
  readonly path: string;
  /** Header names in lowercase. */
  readonly headers: { readonly [name: string]: string };
  /** What this variant tries, for failure messages. */
  readonly label: string;
}

/** The request a legitimate client sends. */
export interface BaseRequest {
  readonly host: string;
  readonly path: string;
  readonly method?: string;
  readonly scheme?: 'http' | 'https';
  readonly headers?: { readonly [name: string]: string };
}

function request(base: BaseRequest, change: Partial<AttackRequest>, label: string): AttackRequest {
  return {
    scheme: base.scheme ?? 'https',
    authority: base.host,
    method: base.method ?? 'POST',
    path: base.path,
    headers: { ...(base.headers ?? {}) },
    label,
    ...change,
  };
}

/** Spellings of one host: case, ports, trailing dot. */
export function hostSpellings(host: string): string[] {
  const mixed = host.split('').map((c, i) => (i % 2 === 0 ? c.toUpperCase() : c)).join('');
  return [
    host, host.toUpperCase(), mixed,
    `${host}:443`, `${host}:80`, `${host}:8443`, `${host}:1`, `${host.toUpperCase()}:443`,
    `${host}.`, `${host}.:443`,
  ];
}

/** Concrete hosts under a wildcard `*.example.com`. */
export function wildcardSpellings(wildcard: string): string[] {
  const suffix = wildcard.slice(1);
  return [`a${suffix}`, `deep.sub${suffix}`, `A${suffix.toUpperCase()}`].flatMap(hostSpellings);
}

/**
 * Spellings of a path: dot segments, doubled and encoded slashes, encoded dots, case, a
 * sibling of the last segment (`/api` → `/api-admin`), a query, and traversal out of it.
 */
export function pathSpellings(path: string): string[] {
  const trimmed = path.replace(/\/+$/, '') || '';
  const out = new Set<string>([
    path,
    `/${path}`, `//${path.replace(/^\/+/, '')}`,
    `/.${path}`, `/./${path.replace(/^\/+/, '')}`,
    `/x/..${path}`, `/x/%2e%2e${path}`,
    path.replace(/\//g, '%2F'), path.replace(/\//g, '%2f'),
    path.toUpperCase(),
    `${trimmed}-admin`, `${trimmed}-admin/x`, `${trimmed}x`,
    `${path}?x=1`, `${path}#x`,
    `${trimmed}/../admin`, `${trimmed}/%2e%2e/admin`, `${trimmed}%2F..%2Fadmin`, `${trimmed}/..%2Fadmin`, `${trimmed}%2f..%2f..%2fadmin`,
    `${trimmed}/..;/admin`, `${trimmed}/..;/..;/..;/admin`, `${trimmed}/..%3B/..%3B/..%3B/admin`, `${trimmed}/../../../admin`,
    `${trimmed}%2f..%2f..%2f..%2fadmin`, `${trimmed}\\..\\admin`, `${trimmed}%5C..%5Cadmin`,
    '/', '/admin', '//admin',
  ]);
  return [...out].filter(p => p.length > 0);
}

/** Methods: the base one, other standard ones, lowercase, extension methods. */
export const METHODS = ['POST', 'GET', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'post', 'Post', 'get', 'PROPFIND', 'MKCOL', 'FOO'];

/** Every variant of a base request (one change at a time, plus a few combinations). */
export function variants(base: BaseRequest, opts: { wildcard?: string; extraPaths?: string[] } = {}): AttackRequest[] {
  const out: AttackRequest[] = [];
  const hosts = opts.wildcard ? [...hostSpellings(base.host), ...wildcardSpellings(opts.wildcard)] : hostSpellings(base.host);
  for (const authority of hosts) {
    out.push(request(base, { authority }, `host ${authority}`));
  }
  for (const path of [...pathSpellings(base.path), ...(opts.extraPaths ?? []).flatMap(pathSpellings)]) {
    out.push(request(base, { path }, `path ${path}`));
    out.push(request(base, { path, authority: `${base.host}:443` }, `path ${path} on host:443`));
  }
  for (const method of METHODS) {
    out.push(request(base, { method }, `method ${method}`));
    out.push(request(base, { method, authority: base.host.toUpperCase() }, `method ${method} on an uppercase host`));
  }
  // CORS preflight: a browser sends it without credentials.
  for (const origin of ['https://evil.example.net', 'null']) {
    out.push(request(base, {
      method: 'OPTIONS',
      headers: { ...(base.headers ?? {}), 'origin': origin, 'access-control-request-method': 'POST' },
    }, `CORS preflight from ${origin}`));
  }
  // Plain HTTP, with and without a forged X-Forwarded-Proto.
  for (const authority of [base.host, `${base.host}:80`, base.host.toUpperCase()]) {
    out.push(request(base, { scheme: 'http', authority }, `plain HTTP to ${authority}`));
    out.push(request(base, {
      scheme: 'http', authority, headers: { ...(base.headers ?? {}), 'x-forwarded-proto': 'https' },
    }, `plain HTTP to ${authority} with a forged X-Forwarded-Proto: https`));
  }
  out.push(request(base, {
    headers: { ...(base.headers ?? {}), 'x-forwarded-proto': 'https', 'x-forwarded-for': '127.0.0.1', 'x-forwarded-host': base.host },
  }, 'forged forwarding headers'));
  return out;
}

/**
 * The path a backend that decodes and resolves everything would serve: percent-decoded
 * (`%2F` becomes `/`), backslashes as slashes, `;` parameters dropped, slashes merged, dot
 * segments resolved, query and fragment dropped. The worst case for a path-based exemption.
 */
export function backendPath(path: string): string {
  let p = path.split(/[?#]/)[0];
  for (let i = 0; i < 3; i++) {
    try {
      p = decodeURIComponent(p);
    } catch {
      break;
    }
  }
  p = p.replace(/\\/g, '/').replace(/;[^/]*/g, '').replace(/\/+/g, '/');
  const segments: string[] = [];
  for (const s of p.split('/').slice(1)) {
    if (s === '..') {
      segments.pop();
    } else if (s !== '.') {
      segments.push(s);
    }
  }
  return `/${segments.join('/')}`;
}

/** Host header without port and trailing dot, lowercase: the host a request is meant for. */
export function canonicalHost(authority: string): string {
  return authority.replace(/:\d*$/, '').replace(/\.$/, '').toLowerCase();
}

/** Headers a gRPC client sends, and a gRPC inference method's path. */
export const GRPC_HEADERS: { readonly [name: string]: string } = { 'content-type': 'application/grpc', 'te': 'trailers' };
export const GRPC_INFER_PATH = '/inference.GRPCInferenceService/ModelInfer';

/** A credential as request headers (see credentials.ts). */
interface CredentialHeaders {
  readonly label: string;
  readonly headers: { readonly [name: string]: string };
}

/**
 * Sends every request with every credential through a data-plane model and lists those that
 * reached a backend, unless `allowed` says the request may (an open path, an exemption).
 */
export async function reached(
  handle: (req: AttackRequest) => Outcome | Promise<Outcome>,
  requests: AttackRequest[],
  credentials: CredentialHeaders[],
  allowed: (req: AttackRequest, cred: CredentialHeaders, outcome: Outcome) => boolean = () => false,
): Promise<string[]> {
  const out: string[] = [];
  for (const req of requests) {
    for (const cred of credentials) {
      const sent = { ...req, headers: { ...req.headers, ...cred.headers } };
      const r = await handle(sent);
      if (r.backend !== undefined && !allowed(sent, cred, r)) {
        out.push(`${req.label} with ${cred.label}: reached ${r.backend}${r.path !== undefined ? ` at ${r.path}` : ''} (${r.why})`);
      }
    }
  }
  return out;
}

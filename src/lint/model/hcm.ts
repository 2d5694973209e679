/**
 * Path normalization of Envoy's HTTP connection manager, shared by the Envoy and Istio models.
 * envoyproxy/envoy v1.36.4 source/common/http/conn_manager_utility.cc `maybeNormalizePath` and
 * source/common/http/path_utility.cc `canonicalPath` (googleurl): a `#` is refused; then the
 * escaped-slash action (`%2F`, `%5C`); then `normalize_path` (unreserved escapes decoded,
 * backslashes as slashes, dot segments resolved; `%2F` kept); then `merge_slashes`. Filters and
 * the router see the result.
 */
import { answered, Outcome } from './outcome';

export interface HcmPathSettings {
  readonly normalizePath: boolean;
  readonly mergeSlashes: boolean;
  /** KEEP_UNCHANGED, REJECT_REQUEST, UNESCAPE_AND_REDIRECT or UNESCAPE_AND_FORWARD. */
  readonly escapedSlashes: string;
}

/** The path the filters see, or the answer Envoy gives instead (400, or a 307 redirect). */
export function normalizePath(raw: string, settings: HcmPathSettings, grpc = false): string | Outcome {
  if (raw.includes('#')) {
    return answered(400, 'fragment in path');
  }
  const q = raw.indexOf('?');
  let path = q < 0 ? raw : raw.slice(0, q);
  const query = q < 0 ? '' : raw.slice(q);
  const escaped = /%2f|%5c/i.test(path);
  if (escaped && settings.escapedSlashes === 'REJECT_REQUEST') {
    return answered(400, 'escaped slashes rejected');
  }
  if (escaped && (settings.escapedSlashes === 'UNESCAPE_AND_REDIRECT' || settings.escapedSlashes === 'UNESCAPE_AND_FORWARD')) {
    path = path.replace(/%2f/gi, '/').replace(/%5c/gi, '\\');
  }
  if (settings.normalizePath) {
    path = canonicalPath(path);
  }
  if (settings.mergeSlashes) {
    path = path.replace(/\/+/g, '/');
  }
  if (escaped && settings.escapedSlashes === 'UNESCAPE_AND_REDIRECT') {
    // gRPC clients do not follow redirects: Envoy answers 400 instead.
    return grpc ? answered(400, 'escaped slashes (gRPC)') : answered(307, `escaped slashes: redirected to ${path}${query}`);
  }
  return path + query;
}

/** `normalize_path`: decode unreserved escapes, backslash to slash, resolve dot segments. */
function canonicalPath(path: string): string {
  const decoded = path.replace(/%([0-9A-Fa-f]{2})/g, (all, hex) => {
    const c = String.fromCharCode(parseInt(hex, 16));
    return /[A-Za-z0-9\-._~]/.test(c) ? c : all;
  }).replace(/\\/g, '/');
  const out: string[] = [];
  const segments = decoded.split('/').slice(1);
  segments.forEach((seg, i) => {
    if (seg === '.' || seg === '..') {
      if (seg === '..') {
        out.pop();
      }
      if (i === segments.length - 1) {
        out.push('');
      }
    } else {
      out.push(seg);
    }
  });
  return `/${out.join('/')}`;
}

/**
 * JWT verification as Envoy's jwt_authn filter does it, used by the Istio (RequestAuthentication)
 * and Envoy models. Follows envoyproxy/envoy v1.36.4 source/extensions/filters/http/jwt_authn/
 * (extractor.cc, authenticator.cc, verifier.cc), api/envoy/extensions/filters/http/jwt_authn/v3/
 * config.proto, and google/jwt_verify_lib b59e807 (src/jwt.cc, src/check_audience.cc), which
 * Envoy 1.36.4 pins:
 *
 * - the token follows the `Bearer ` prefix anywhere in the Authorization header (extractor.cc
 *   `value_str.find(value_prefix)`), then runs over base64url characters and dots; without the
 *   prefix there is no token; a provider with no `from_headers` (an Istio jwtRule without
 *   `fromHeaders`) also reads the `access_token` query parameter;
 * - a token whose `iss` no provider lists is an unknown issuer;
 * - the signature must verify with a key of the provider's JWKS (`alg: none` never does);
 * - `exp` and `nbf` are read as unsigned integers (a fraction is dropped); an `exp` of 0 means
 *   no expiry (jwt.cc: `if (exp_ && now > exp_ + clock_skew)`); a past `exp` fails (60 s skew);
 *   no `exp` (or 0) fails only with `require_expiration`;
 * - with `audiences` listed, the token's `aud` must contain one of them, compared without an
 *   `http://` or `https://` prefix and a trailing "/"; with none listed, it is not checked.
 */
import { compactVerify, createLocalJWKSet, decodeJwt } from 'jose';

/** One jwt_authn provider (or one Istio jwtRule). */
export interface JwtProviderModel {
  readonly issuer: string;
  /** Claims copied to request headers after a successful verification (`claim_to_headers`). */
  readonly claimToHeaders?: { readonly header: string; readonly claim: string }[];
  /** The provider's public keys. */
  readonly jwks: { keys: any[] };
  readonly audiences?: string[];
  readonly requireExpiration: boolean;
  /** Whether the `access_token` query parameter is read too (no `from_headers` configured). */
  readonly queryParameter?: boolean;
}

/** Outcome of looking at a request's token. */
export type JwtOutcome =
  | { readonly kind: 'missing' }
  | { readonly kind: 'valid'; readonly principal: string; readonly claims: any; readonly provider: JwtProviderModel }
  | { readonly kind: 'invalid'; readonly reason: string };

const TOKEN_CHARS = /^[A-Za-z0-9_\-.]+/;

/** The bearer token of the request: after `Bearer ` in Authorization, else (when allowed) `access_token` in the query. */
export function bearerToken(headers: { readonly [name: string]: string }, path = '', queryParameter = false): string | undefined {
  const value = headers.authorization;
  if (value !== undefined) {
    const at = value.indexOf('Bearer ');
    if (at >= 0) {
      const t = TOKEN_CHARS.exec(value.slice(at + 'Bearer '.length).replace(/^[^A-Za-z0-9_\-]+/, ''));
      if (t) {
        return t[0];
      }
    }
  }
  if (queryParameter) {
    const q = path.indexOf('?');
    const param = q < 0 ? undefined : new URLSearchParams(path.slice(q + 1)).get('access_token');
    if (param) {
      return param;
    }
  }
  return undefined;
}

const cache = new Map<string, Promise<JwtOutcome>>();

/**
 * Verifies the request's token against the providers (`requires_any`: the first provider of the
 * token's issuer that verifies it decides). A present token that no provider's issuer matches is
 * `invalid` (unknown issuer).
 */
export function verifyJwt(headers: { readonly [name: string]: string }, providers: JwtProviderModel[], path = ''): Promise<JwtOutcome> {
  const t = bearerToken(headers, path, providers.some(p => p.queryParameter === true));
  if (t === undefined) {
    return Promise.resolve({ kind: 'missing' });
  }
  const key = `${t}\n${JSON.stringify(providers)}`;
  let result = cache.get(key);
  if (!result) {
    result = verifyUncached(t, providers);
    cache.set(key, result);
  }
  return result;
}

/** jwt_verify_lib `GetUInt64`: a number is truncated; anything else is a parse error. */
function uint(v: unknown): number | undefined | 'bad' {
  if (v === undefined) {
    return undefined;
  }
  return typeof v === 'number' && v >= 0 ? Math.trunc(v) : 'bad';
}

const sanitizeAudience = (a: string) => a.replace(/^https?:\/\//, '').replace(/\/$/, '');

async function verifyUncached(t: string, providers: JwtProviderModel[]): Promise<JwtOutcome> {
  let claims: any;
  try {
    claims = decodeJwt(t);
  } catch {
    return { kind: 'invalid', reason: 'malformed' };
  }
  const candidates = providers.filter(p => p.issuer === claims.iss);
  if (candidates.length === 0) {
    return { kind: 'invalid', reason: 'unknown issuer' };
  }
  const exp = uint(claims.exp);
  const nbf = uint(claims.nbf);
  if (exp === 'bad' || nbf === 'bad') {
    return { kind: 'invalid', reason: 'payload parse error' };
  }
  const now = Math.floor(Date.now() / 1000);
  if (nbf !== undefined && now + 60 < nbf) {
    return { kind: 'invalid', reason: 'not yet valid' };
  }
  if (exp && now > exp + 60) {
    return { kind: 'invalid', reason: 'expired' };
  }
  let reason = '';
  for (const provider of candidates) {
    if (provider.requireExpiration && !exp) {
      reason = 'no expiration';
      continue;
    }
    const audiences = provider.audiences ?? [];
    const aud: string[] = claims.aud === undefined ? [] : Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (audiences.length > 0 && !aud.some(a => audiences.map(sanitizeAudience).includes(sanitizeAudience(String(a))))) {
      reason = 'audience not allowed';
      continue;
    }
    try {
      await compactVerify(t, createLocalJWKSet(provider.jwks as any));
      return { kind: 'valid', principal: `${claims.iss}/${claims.sub}`, claims, provider };
    } catch (e) {
      reason = (e as Error).message;
    }
  }
  return { kind: 'invalid', reason };
}

/** How jwt_authn writes a claim into a header (authenticator.cc `addJWTClaimToHeader`): numbers as integers or "%f". */
export function claimHeaderValue(v: unknown): string | undefined {
  if (typeof v === 'string') {
    return v;
  }
  if (typeof v === 'number') {
    return Number.isInteger(v) ? String(v) : v.toFixed(6);
  }
  if (typeof v === 'boolean') {
    return String(v);
  }
  return undefined;
}

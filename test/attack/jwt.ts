/**
 * JWT verification as Envoy's jwt_authn filter does it for one provider, used by the Istio
 * (RequestAuthentication) and Envoy models. Follows envoyproxy/envoy v1.36
 * source/extensions/filters/http/jwt_authn/ (extractor.cc, authenticator.cc, verifier.cc) and
 * api/envoy/extensions/filters/http/jwt_authn/v3/config.proto:
 *
 * - the token is taken from the Authorization header after the `Bearer ` prefix; a header
 *   without the prefix yields no token (the request then counts as without a token);
 * - a token whose `iss` is not the provider's issuer is not this provider's (unknown issuer);
 * - the signature must verify with a key of the provider's JWKS (`alg: none` never does);
 * - `exp` in the past fails (60 s clock skew); no `exp` fails only with `require_expiration`;
 * - with `audiences` listed, the token's `aud` must contain one of them; with none listed,
 *   the audience is not checked.
 */
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';

/** One jwt_authn provider (or one Istio jwtRule). */
export interface JwtProviderModel {
  readonly issuer: string;
  /** Claims copied to request headers after a successful verification (`claim_to_headers`). */
  readonly claimToHeaders?: { readonly header: string; readonly claim: string }[];
  /** The provider's public keys. */
  readonly jwks: { keys: any[] };
  readonly audiences?: string[];
  readonly requireExpiration: boolean;
}

/** Outcome of looking at a request's token. */
export type JwtOutcome =
  | { readonly kind: 'missing' }
  | { readonly kind: 'valid'; readonly principal: string; readonly claims: any; readonly provider: JwtProviderModel }
  | { readonly kind: 'invalid'; readonly reason: string };

/** The bearer token of the request, as `from_headers: [{ name: authorization, value_prefix: "Bearer " }]` extracts it. */
export function bearerToken(headers: { readonly [name: string]: string }): string | undefined {
  const value = headers.authorization;
  if (value === undefined) {
    return undefined;
  }
  // extractor.cc: the value must start with the prefix; what follows up to a ',' or space is the token.
  if (!value.startsWith('Bearer ')) {
    return undefined;
  }
  const t = value.slice('Bearer '.length).split(/[ ,]/)[0];
  return t.length > 0 ? t : undefined;
}

const cache = new Map<string, Promise<JwtOutcome>>();

/**
 * Verifies the request's token against the providers (the one whose issuer matches decides).
 * A present token that no provider's issuer matches is `invalid` (unknown issuer).
 */
export function verifyJwt(headers: { readonly [name: string]: string }, providers: JwtProviderModel[]): Promise<JwtOutcome> {
  const t = bearerToken(headers);
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

async function verifyUncached(t: string, providers: JwtProviderModel[]): Promise<JwtOutcome> {
  let claims: any;
  try {
    claims = decodeJwt(t);
  } catch {
    return { kind: 'invalid', reason: 'malformed' };
  }
  // requires_any: the providers of the token's issuer are tried; the first that verifies it wins.
  const candidates = providers.filter(p => p.issuer === claims.iss);
  if (candidates.length === 0) {
    return { kind: 'invalid', reason: 'unknown issuer' };
  }
  let reason = '';
  for (const provider of candidates) {
    try {
      const { payload } = await jwtVerify(t, createLocalJWKSet(provider.jwks as any), {
        issuer: provider.issuer,
        audience: provider.audiences && provider.audiences.length > 0 ? provider.audiences : undefined,
        clockTolerance: 60,
        requiredClaims: provider.requireExpiration ? ['exp'] : [],
      });
      return { kind: 'valid', principal: `${payload.iss}/${payload.sub}`, claims: payload, provider };
    } catch (e) {
      reason = (e as Error).message;
    }
  }
  return { kind: 'invalid', reason };
}

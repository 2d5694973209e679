import { byCodeUnits, checkBoolean, checkFetchUrl, checkIssuer, checkNonEmpty, fail } from '../_validate';
import { JsonWebKeySet } from './jwks';

/** A JWT issuer as the Istio and Envoy constructs take it. */
export interface JwtIssuerInput {
  readonly issuer: string;
  readonly jwks?: JsonWebKeySet;
  readonly jwksUri?: string;
  readonly audiences?: string[];
  readonly acceptAnyAudience?: boolean;
}

/** The same, checked: exactly one key source, an https JWKS URL, audiences sorted (none: any audience, by choice). */
export interface CheckedJwtIssuer {
  readonly issuer: string;
  readonly jwks?: JsonWebKeySet;
  readonly jwksUri?: URL;
  readonly audiences?: string[];
}

/**
 * Checks an issuer, its key source (exactly one of `jwks` and `jwksUri`, the URL https
 * without credentials) and its audiences: required unless `acceptAnyAudience`, since a proxy
 * given no audiences checks none. `prop` is the props path, such as `jwt`.
 */
export function checkJwtIssuer(ctx: string, prop: string, jwt: JwtIssuerInput): CheckedJwtIssuer {
  if (jwt === null || typeof jwt !== 'object') {
    fail(ctx, prop, jwt, 'JWT options with an issuer and a JWKS source');
  }
  checkIssuer(ctx, `${prop}.issuer`, jwt.issuer);
  if ((jwt.jwks === undefined) === (jwt.jwksUri === undefined)) {
    fail(ctx, `${prop}.jwksUri`, jwt.jwksUri, `exactly one of ${prop}.jwksUri and ${prop}.jwks`);
  }
  if (jwt.jwks !== undefined && !(jwt.jwks instanceof JsonWebKeySet)) {
    fail(ctx, `${prop}.jwks`, jwt.jwks, 'a JsonWebKeySet');
  }
  const jwksUri = jwt.jwksUri === undefined ? undefined
    : checkFetchUrl(ctx, `${prop}.jwksUri`, jwt.jwksUri, 'https://issuer.example.com/.well-known/jwks.json');
  const audiences = jwt.audiences;
  const anyAudience = jwt.acceptAnyAudience === undefined ? false : checkBoolean(ctx, `${prop}.acceptAnyAudience`, jwt.acceptAnyAudience);
  if (audiences === undefined && !anyAudience) {
    fail(ctx, `${prop}.audiences`, undefined,
      `the audiences (aud claim) tokens must be for: without them every token of the issuer is accepted, such as every pod's service-account token of a cluster issuer (${prop}.acceptAnyAudience: true to accept any audience)`);
  }
  if (audiences !== undefined) {
    if (anyAudience) {
      fail(ctx, `${prop}.acceptAnyAudience`, true, `false (or unset) with ${prop}.audiences`);
    }
    if (!Array.isArray(audiences) || audiences.length === 0) {
      fail(ctx, `${prop}.audiences`, audiences, 'a non-empty list of audiences');
    }
    audiences.forEach((a, i) => checkNonEmpty(ctx, `${prop}.audiences[${i}]`, a));
  }
  return { issuer: jwt.issuer, jwks: jwt.jwks, jwksUri, audiences: audiences ? [...new Set(audiences)].sort(byCodeUnits) : undefined };
}

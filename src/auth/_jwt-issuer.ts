import { checkIssuer } from '../_validate';
import { JsonWebKeySet } from './jwks';
import { JwtIssuer } from './jwt-issuer';

/** A JWT issuer, checked: one key source, audiences sorted (none: any audience, by choice). */
export interface CheckedJwtIssuer {
  readonly issuer: string;
  readonly jwks?: JsonWebKeySet;
  readonly jwksUri?: URL;
  readonly audiences?: string[];
  readonly forwardToken: boolean;
}

/**
 * Checks an issuer given as `prop` (such as `jwt`). The props checks have checked its types (a
 * JwksSource, a JwtAudiences) and their factories the URL and the audiences.
 */
export function checkJwtIssuer(ctx: string, prop: string, jwt: JwtIssuer): CheckedJwtIssuer {
  checkIssuer(ctx, `${prop}.issuer`, jwt.issuer);
  return {
    issuer: jwt.issuer,
    jwks: jwt.jwks.keySet,
    jwksUri: jwt.jwks.uri === undefined ? undefined : new URL(jwt.jwks.uri),
    audiences: jwt.audiences.audiences,
    forwardToken: jwt.forwardToken ?? false,
  };
}

import { checkIssuer, fail } from '../_validate';
import { JsonWebKeySet } from './jwks';
import { JwksSource, JwtAudiences, JwtIssuer } from './jwt-issuer';

/** A JWT issuer, checked: one key source, audiences sorted (none: any audience, by choice). */
export interface CheckedJwtIssuer {
  readonly issuer: string;
  readonly jwks?: JsonWebKeySet;
  readonly jwksUri?: URL;
  readonly audiences?: string[];
  readonly forwardToken: boolean;
}

/** Checks an issuer given as `prop` (such as `jwt`): props checks have checked its types. */
export function checkJwtIssuer(ctx: string, prop: string, jwt: JwtIssuer): CheckedJwtIssuer {
  if (jwt === null || typeof jwt !== 'object') {
    fail(ctx, prop, jwt, 'a JwtIssuer with an issuer, a JWKS source and audiences');
  }
  checkIssuer(ctx, `${prop}.issuer`, jwt.issuer);
  if (!(jwt.jwks instanceof JwksSource)) {
    fail(ctx, `${prop}.jwks`, jwt.jwks, 'JwksSource.fromUri(uri) or JwksSource.fromKeySet(keySet)');
  }
  if (!(jwt.audiences instanceof JwtAudiences)) {
    fail(ctx, `${prop}.audiences`, jwt.audiences,
      'JwtAudiences.of([...]) with the audiences (aud claim) tokens must be for: without them every token of the issuer is accepted, ' +
      'such as every pod\'s service-account token of a cluster issuer (JwtAudiences.acceptAny() if that is intended)');
  }
  return {
    issuer: jwt.issuer,
    jwks: jwt.jwks.keySet,
    jwksUri: jwt.jwks.uri === undefined ? undefined : new URL(jwt.jwks.uri),
    audiences: jwt.audiences.audiences,
    forwardToken: jwt.forwardToken ?? false,
  };
}

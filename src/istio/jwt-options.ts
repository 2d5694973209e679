import { JsonWebKeySet } from '../auth/jwks';

/**
 * What an Istio `RequestAuthentication` needs to validate a JWT issuer's tokens.
 */
export interface IstioJwtOptions {
  /** The issuer (`iss` claim) of accepted tokens. */
  readonly issuer: string;

  /**
   * URL of the issuer's JWKS (https). Exactly one of `jwksUri` and `jwks`.
   *
   * @default - none: `jwks` is used
   */
  readonly jwksUri?: string;

  /**
   * The issuer's public keys, inlined in the policy. Exactly one of `jwksUri` and `jwks`.
   *
   * @default - none: `jwksUri` is used
   */
  readonly jwks?: JsonWebKeySet;

  /**
   * Accepted audiences (`aud` claim).
   *
   * @default - the audience is not checked
   */
  readonly audiences?: string[];

  /**
   * Pass the token on to the backend.
   *
   * @default false
   */
  readonly forwardOriginalToken?: boolean;
}

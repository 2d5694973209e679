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
   * Accepted audiences (`aud` claim): a token must be for one of them. Required unless
   * `acceptAnyAudience`: with no audiences the proxy checks none, and every token of the issuer
   * is accepted (with the Kubernetes service-account issuer, every pod's token).
   *
   * @default - none: only with `acceptAnyAudience`
   */
  readonly audiences?: string[];

  /**
   * Accept tokens of the issuer whatever their audience.
   *
   * @default false
   */
  readonly acceptAnyAudience?: boolean;

  /**
   * Pass the token on to the backend.
   *
   * @default false
   */
  readonly forwardOriginalToken?: boolean;
}

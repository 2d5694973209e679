import { checkArgs, checkFetchUrl, checkNonEmpty, fail, made, byCodeUnits } from '../_validate';
import { JsonWebKeySet } from './jwks';

/**
 * Where the proxy gets a JWT issuer's public keys.
 */
export class JwksSource {
  /**
   * The issuer's JWKS URL (https, without credentials, not a local or metadata address), fetched
   * and cached by the proxy.
   *
   * @param uri the URL, such as `https://issuer.example.com/.well-known/jwks.json`
   */
  public static fromUri(uri: string): JwksSource {
    const ctx = 'JwksSource.fromUri';
    [uri] = checkArgs(ctx, 'JwksSource', 'fromUri', [uri]);
    return new JwksSource(checkFetchUrl(ctx, 'uri', uri, 'https://issuer.example.com/.well-known/jwks.json').toString(), undefined);
  }

  /**
   * The issuer's public keys, written into the manifests (a policy or a ConfigMap).
   *
   * @param keySet the keys
   */
  public static fromKeySet(keySet: JsonWebKeySet): JwksSource {
    [keySet] = checkArgs('JwksSource.fromKeySet', 'JwksSource', 'fromKeySet', [keySet]);
    return new JwksSource(undefined, keySet);
  }

  /**
   * The JWKS URL.
   *
   * @default - none: the keys are inlined
   */
  public readonly uri?: string;

  /**
   * The inlined keys.
   *
   * @default - none: the keys are fetched from `uri`
   */
  public readonly keySet?: JsonWebKeySet;

  private constructor(uri: string | undefined, keySet: JsonWebKeySet | undefined) {
    made(this);
    this.uri = uri;
    this.keySet = keySet;
  }
}

/**
 * The audiences (`aud` claim) a token must be for.
 */
export class JwtAudiences {
  /**
   * A token must be for one of these audiences.
   *
   * @param audiences at least one audience
   */
  public static of(audiences: string[]): JwtAudiences {
    const ctx = 'JwtAudiences.of';
    [audiences] = checkArgs(ctx, 'JwtAudiences', 'of', [audiences]);
    if (audiences.length === 0) {
      fail(ctx, 'audiences', audiences, 'at least one audience');
    }
    audiences.forEach((a, i) => checkNonEmpty(ctx, `audiences[${i}]`, a));
    return new JwtAudiences([...new Set(audiences)].sort(byCodeUnits));
  }

  /**
   * Accept tokens of the issuer whatever their audience: with the Kubernetes service-account
   * issuer, every pod's token.
   */
  public static acceptAny(): JwtAudiences {
    return new JwtAudiences(undefined);
  }

  /**
   * The audiences, sorted.
   *
   * @default - none: any audience
   */
  public readonly audiences?: string[];

  private constructor(audiences: string[] | undefined) {
    made(this);
    this.audiences = audiences;
  }
}

/**
 * A JWT issuer whose tokens a front door accepts: the same for every construct that checks JWTs.
 */
export interface JwtIssuer {
  /** The issuer (`iss` claim) of accepted tokens. */
  readonly issuer: string;

  /** Where the issuer's public keys come from. */
  readonly jwks: JwksSource;

  /**
   * The audiences a token must be for: `JwtAudiences.of([...])`, or the explicit
   * `JwtAudiences.acceptAny()` (without audiences the proxy checks none).
   */
  readonly audiences: JwtAudiences;

  /**
   * Pass the token on to the backend (otherwise the front door removes it).
   *
   * @default false
   */
  readonly forwardToken?: boolean;
}

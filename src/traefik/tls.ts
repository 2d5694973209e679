import { ACCEPTED_SUITES, MODERN_SUITES } from './_cipher-suites';
import { checkArgs, checkDnsSubdomain, fail, made } from '../_validate';

/**
 * Where the certificate of a Traefik route comes from.
 */
export class TraefikTls {
  /**
   * A certificate from one of Traefik's certificate resolvers (for example Let's Encrypt
   * via ACME), configured in Traefik's static configuration (`certificatesResolvers.<name>`).
   *
   * @param name the resolver's name
   */
  public static certResolver(name: string): TraefikTls {
    [name] = checkArgs('TraefikTls.certResolver', 'TraefikTls', 'certResolver', [name]);
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) {
      fail('TraefikTls.certResolver', 'name', name, 'the name of a certificate resolver of Traefik\'s static configuration, such as "letsencrypt"');
    }
    return new TraefikTls('certResolver', name, undefined);
  }

  /**
   * A certificate from a `kubernetes.io/tls` Secret in the route's namespace.
   *
   * @param secretName the Secret's name
   */
  public static fromSecret(secretName: string): TraefikTls {
    const ctx = 'TraefikTls.fromSecret';
    [secretName] = checkArgs(ctx, 'TraefikTls', 'fromSecret', [secretName]);
    return new TraefikTls('secret', undefined, checkDnsSubdomain(ctx, 'secretName', secretName));
  }

  /**
   * No TLS: basic-auth credentials and model traffic cross the network in clear text, readable
   * by anyone on the path. Use only where something else encrypts the traffic (a service mesh,
   * a TLS-terminating load balancer in front of Traefik's `web` entry point).
   */
  public static insecurePlainHttp(): TraefikTls {
    return new TraefikTls('none', undefined, undefined);
  }

  /** @internal */
  public readonly _mode: 'certResolver' | 'secret' | 'none';

  /**
   * The certificate resolver's name.
   *
   * @default - none: the certificate does not come from a resolver
   */
  public readonly certResolverName?: string;

  /**
   * The TLS Secret's name.
   *
   * @default - none: the certificate does not come from a Secret
   */
  public readonly secretName?: string;

  private constructor(mode: 'certResolver' | 'secret' | 'none', certResolverName: string | undefined, secretName: string | undefined) {
    made(this);
    this._mode = mode;
    this.certResolverName = certResolverName;
    this.secretName = secretName;
  }

  /** @internal How the value was made, for error messages. */
  public _describe(): string {
    switch (this._mode) {
      case 'certResolver': return `TraefikTls.certResolver(${JSON.stringify(this.certResolverName)})`;
      case 'secret': return `TraefikTls.fromSecret(${JSON.stringify(this.secretName)})`;
      default: return 'TraefikTls.insecurePlainHttp()';
    }
  }

  /** Whether traffic is encrypted. */
  public get encrypted(): boolean {
    return this._mode !== 'none';
  }
}

/**
 * The minimum TLS version of a Traefik `TLSOption`.
 */
export enum TraefikTlsVersion {
  /** TLS 1.2. */
  TLS_1_2 = 'VersionTLS12',
  /** TLS 1.3: cipher suites cannot be chosen (Go's TLS 1.3 suites are fixed). */
  TLS_1_3 = 'VersionTLS13',
}

/**
 * Cipher suite names that Traefik (Go's crypto/tls) accepts in a `TLSOption` and this library
 * allows: forward secrecy (ECDHE) and AEAD ciphers only.
 */
export class TraefikCipherSuites {
  /**
   * ECDHE key exchange with AEAD ciphers only (AES-GCM, ChaCha20-Poly1305): forward secrecy and
   * no CBC. A sound TLS 1.2 list.
   */
  public static readonly MODERN: string[] = Object.freeze([...MODERN_SUITES]) as string[];

  /**
   * Every TLS 1.2 cipher suite name this library accepts: the `MODERN` suites and Go's older
   * names of the ChaCha20-Poly1305 ones. Suites without forward secrecy (static RSA key
   * exchange) and CBC suites are refused, as are RC4 and 3DES. The list is frozen, and the
   * check does not read it.
   */
  public static readonly ACCEPTED: string[] = Object.freeze([...ACCEPTED_SUITES]) as string[];

  private constructor() {}
}

/**
 * TLS settings of a Traefik route, written as a `TLSOption`.
 */
export interface TraefikTlsOptions {
  /**
   * The lowest TLS version accepted.
   *
   * @default TraefikTlsVersion.TLS_1_2
   */
  readonly minVersion?: TraefikTlsVersion;

  /**
   * TLS 1.2 cipher suites, from `TraefikCipherSuites.ACCEPTED`. Not allowed with a TLS 1.3
   * minimum (TLS 1.3 suites are not configurable).
   *
   * @default TraefikCipherSuites.MODERN with a TLS 1.2 minimum
   */
  readonly cipherSuites?: string[];

  /**
   * Refuse TLS connections whose SNI matches no known certificate.
   *
   * @default true
   */
  readonly sniStrict?: boolean;
}

import { ACCEPTED_SUITES, MODERN_SUITES } from './_cipher-suites';

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

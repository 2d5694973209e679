/**
 * The TLS 1.2 cipher suites the Traefik constructs accept: forward secrecy (ECDHE) with AEAD
 * ciphers. Private: the public lists in `TraefikCipherSuites` are frozen copies, and the check
 * reads this set.
 */
export const MODERN_SUITES: readonly string[] = [
  'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
  'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
  'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
];

/** MODERN and Go's older names of its ChaCha20-Poly1305 suites. */
export const ACCEPTED_SUITES: readonly string[] = [
  ...MODERN_SUITES, 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305', 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305',
];

export const ACCEPTED_SET: ReadonlySet<string> = new Set(ACCEPTED_SUITES);

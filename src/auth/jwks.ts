import { createHash, createPublicKey, KeyObject } from 'crypto';
import { checkArgs, fail, made, REDACTED } from '../_validate';

/**
 * A JWS signing algorithm for JWT validation. Only asymmetric algorithms: HMAC (HS256...)
 * would put the shared secret into the configuration.
 */
export class JwtAlgorithm {
  /** RSASSA-PKCS1-v1_5 with SHA-256. */
  public static readonly RS256 = new JwtAlgorithm('RS256', 'RSA');
  /** RSASSA-PKCS1-v1_5 with SHA-384. */
  public static readonly RS384 = new JwtAlgorithm('RS384', 'RSA');
  /** RSASSA-PKCS1-v1_5 with SHA-512. */
  public static readonly RS512 = new JwtAlgorithm('RS512', 'RSA');
  /** RSASSA-PSS with SHA-256. */
  public static readonly PS256 = new JwtAlgorithm('PS256', 'RSA');
  /** RSASSA-PSS with SHA-384. */
  public static readonly PS384 = new JwtAlgorithm('PS384', 'RSA');
  /** RSASSA-PSS with SHA-512. */
  public static readonly PS512 = new JwtAlgorithm('PS512', 'RSA');
  /** ECDSA on P-256 with SHA-256. */
  public static readonly ES256 = new JwtAlgorithm('ES256', 'P-256');
  /** ECDSA on P-384 with SHA-384. */
  public static readonly ES384 = new JwtAlgorithm('ES384', 'P-384');
  /** ECDSA on P-521 with SHA-512. */
  public static readonly ES512 = new JwtAlgorithm('ES512', 'P-521');
  /** EdDSA on Ed25519. */
  public static readonly EDDSA = new JwtAlgorithm('EdDSA', 'Ed25519');

  /**
   * The algorithm of a name (`RS256`, `ES256`, `EdDSA`, ...).
   *
   * @param name the JWS `alg` value
   */
  public static of(name: string): JwtAlgorithm {
    [name] = checkArgs('JwtAlgorithm.of', 'JwtAlgorithm', 'of', [name]);
    const found = ALGORITHMS.find(a => a.name === name);
    if (!found) {
      fail('JwtAlgorithm.of', 'name', name, `one of ${ALGORITHMS.map(a => a.name).join(', ')} (HMAC algorithms are not accepted)`);
    }
    return found;
  }

  /** The JWS `alg` value. */
  public readonly name: string;

  /** @internal the key type (RSA) or curve the algorithm needs */
  public readonly _key: string;

  private constructor(name: string, key: string) {
    made(this);
    this.name = name;
    this._key = key;
  }
}

const ALGORITHMS = [
  JwtAlgorithm.RS256, JwtAlgorithm.RS384, JwtAlgorithm.RS512, JwtAlgorithm.PS256, JwtAlgorithm.PS384, JwtAlgorithm.PS512,
  JwtAlgorithm.ES256, JwtAlgorithm.ES384, JwtAlgorithm.ES512, JwtAlgorithm.EDDSA,
];

/**
 * Options for a key added from PEM.
 */
export interface JsonWebKeyOptions {
  /**
   * The key ID (`kid`).
   *
   * @default - the RFC 7638 thumbprint of the key (SHA-256, base64url)
   */
  readonly kid?: string;

  /**
   * The signing algorithm (`alg`); it must fit the key.
   *
   * @default - RS256 for RSA keys, ES256/ES384/ES512 for P-256/P-384/P-521, EdDSA for Ed25519
   */
  readonly algorithm?: JwtAlgorithm;
}

/**
 * A public signing key in JSON Web Key form.
 */
export interface JsonWebKey {
  /** Key type: `RSA`, `EC` or `OKP`. */
  readonly kty: string;
  /** Key ID. */
  readonly kid: string;
  /** Use: always `sig`. */
  readonly use: string;
  /** Algorithm. */
  readonly alg: string;
  /**
   * RSA modulus (base64url).
   * @default - not an RSA key
   */
  readonly n?: string;
  /**
   * RSA exponent (base64url).
   * @default - not an RSA key
   */
  readonly e?: string;
  /**
   * Curve: `P-256`, `P-384`, `P-521` or `Ed25519`.
   * @default - an RSA key
   */
  readonly crv?: string;
  /**
   * Public point x (base64url).
   * @default - an RSA key
   */
  readonly x?: string;
  /**
   * Public point y (base64url).
   * @default - not an EC key
   */
  readonly y?: string;
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];
const B64URL = /^[A-Za-z0-9_-]+$/;
const MEMBERS: { [kty: string]: string[] } = { RSA: ['e', 'n'], EC: ['crv', 'x', 'y'], OKP: ['crv', 'x'] };

/**
 * The public keys that JWTs are verified with (a JWKS), for Istio `RequestAuthentication`
 * and Envoy `jwt_authn`. Built from PEM public keys or a JWKS document; private keys are
 * refused, so a key pasted by mistake never ends up in a manifest.
 */
export class JsonWebKeySet {
  /**
   * A set with one key, from a PEM public key (`PUBLIC KEY`, `RSA PUBLIC KEY`) or certificate.
   *
   * @param pem the PEM text
   * @param options kid and algorithm
   */
  public static fromPublicKeyPem(pem: string, options: JsonWebKeyOptions = {}): JsonWebKeySet {
    const ctx = 'JsonWebKeySet.fromPublicKeyPem';
    [pem, options = {}] = checkArgs(ctx, 'JsonWebKeySet', 'fromPublicKeyPem', [pem, options]);
    const set = new JsonWebKeySet();
    set.addKey(ctx, pem, options);
    return set;
  }

  /**
   * A set from a JWKS document (`{"keys": [...]}`), for example the issuer's published keys.
   *
   * @param json the JWKS as JSON text
   */
  public static fromJson(json: string): JsonWebKeySet {
    const ctx = 'JsonWebKeySet.fromJson';
    [json] = checkArgs(ctx, 'JsonWebKeySet', 'fromJson', [json]);
    let doc: any;
    try {
      doc = JSON.parse(json);
    } catch {
      fail(ctx, 'json', REDACTED, 'a JWKS document in JSON, {"keys": [...]}');
    }
    if (doc === null || typeof doc !== 'object' || !Array.isArray(doc.keys) || doc.keys.length === 0) {
      fail(ctx, 'json', REDACTED, 'a JWKS document with a non-empty "keys" array');
    }
    const set = new JsonWebKeySet();
    doc.keys.forEach((jwk: any, i: number) => set.addJwk(ctx, `keys[${i}]`, jwk));
    return set;
  }

  private readonly byKid = new Map<string, JsonWebKey>();

  private constructor() {
    made(this);
  }

  /**
   * Adds a PEM public key.
   *
   * @param pem the PEM text
   * @param options kid and algorithm
   */
  public addPublicKeyPem(pem: string, options: JsonWebKeyOptions = {}): void {
    const ctx = 'JsonWebKeySet.addPublicKeyPem';
    [pem, options = {}] = checkArgs(ctx, 'JsonWebKeySet', 'addPublicKeyPem', [pem, options]);
    this.addKey(ctx, pem, options);
  }

  /** The keys, sorted by kid. */
  public get keys(): JsonWebKey[] {
    return [...this.byKid.keys()].sort().map(k => ({ ...this.byKid.get(k)! }));
  }

  /** The JWKS document, `{"keys":[...]}`, keys sorted by kid, members in a fixed order. */
  public toJson(): string {
    const order = ['kty', 'kid', 'use', 'alg', 'n', 'e', 'crv', 'x', 'y'];
    const keys = this.keys.map(k => Object.fromEntries(order.filter(m => (k as any)[m] !== undefined).map(m => [m, (k as any)[m]])));
    return JSON.stringify({ keys });
  }

  private addKey(ctx: string, pem: string, options: JsonWebKeyOptions): void {
    if (typeof pem !== 'string' || !/-----BEGIN [A-Z0-9 ]+-----/.test(pem)) {
      fail(ctx, 'pem', REDACTED, 'a PEM public key ("-----BEGIN PUBLIC KEY-----") or certificate');
    }
    if (/PRIVATE KEY-----/.test(pem)) {
      fail(ctx, 'pem', REDACTED, 'a public key, not a private key: export it with "openssl pkey -pubout" and keep the private key out of the app');
    }
    let key: KeyObject;
    try {
      key = createPublicKey(pem);
    } catch {
      fail(ctx, 'pem', REDACTED, 'a PEM public key or certificate that parses');
    }
    let jwk: any;
    try {
      jwk = key.export({ format: 'jwk' });
    } catch {
      fail(ctx, 'pem', `a ${key.asymmetricKeyType} key`, 'an RSA, EC (P-256, P-384, P-521) or Ed25519 public key');
    }
    this.addJwk(ctx, 'pem', { ...jwk, kid: options.kid, alg: options.algorithm?.name }, { kid: 'options.kid', alg: 'options.algorithm' });
  }

  /**
   * Adds a key. `prop` names the key in messages; `from` names where its kid and alg came from
   * when not from the key itself (the options of a PEM key).
   */
  private addJwk(ctx: string, prop: string, jwk: any, from: { kid?: string; alg?: string } = {}): void {
    const kidProp = from.kid ?? `${prop}.kid`;
    const algProp = from.alg ?? `${prop}.alg`;
    if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk)) {
      fail(ctx, prop, REDACTED, 'a JSON Web Key object');
    }
    for (const m of PRIVATE_MEMBERS) {
      if (jwk[m] !== undefined) {
        fail(ctx, `${prop}.${m}`, REDACTED, 'no private key members (d, p, q, dp, dq, qi, k, oth): a JWKS for verification holds public keys only');
      }
    }
    const kty = jwk.kty;
    if (typeof kty !== 'string' || !Object.prototype.hasOwnProperty.call(MEMBERS, kty)) {
      fail(ctx, `${prop}.kty`, kty, 'RSA, EC or OKP (symmetric "oct" keys are not accepted)');
    }
    for (const m of MEMBERS[kty]) {
      if (typeof jwk[m] !== 'string' || (m !== 'crv' && !B64URL.test(jwk[m]))) {
        fail(ctx, `${prop}.${m}`, jwk[m], `a base64url string: ${kty} keys need ${MEMBERS[kty].join(', ')}`);
      }
    }
    const curve = kty === 'RSA' ? 'RSA' : jwk.crv;
    if (!['RSA', 'P-256', 'P-384', 'P-521', 'Ed25519'].includes(curve)) {
      fail(ctx, `${prop}.crv`, jwk.crv, 'P-256, P-384, P-521 or Ed25519');
    }
    if ((kty === 'EC') !== curve.startsWith('P-')) {
      fail(ctx, `${prop}.crv`, jwk.crv, `a curve of key type ${kty}`);
    }
    const pub: any = Object.fromEntries(MEMBERS[kty].map(m => [m, jwk[m]]));
    pub.kty = kty;
    let key: KeyObject;
    try {
      key = createPublicKey({ key: pub, format: 'jwk' });
    } catch {
      fail(ctx, prop, REDACTED, `a valid ${kty} public key`);
    }
    if (kty === 'RSA' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
      fail(ctx, prop, `RSA-${key.asymmetricKeyDetails?.modulusLength}`, 'an RSA key of at least 2048 bits');
    }
    const exponent = key.asymmetricKeyDetails?.publicExponent;
    if (kty === 'RSA' && (exponent === undefined || exponent < BigInt(3) || exponent % BigInt(2) === BigInt(0))) {
      // e = 1 makes every "signature" equal to the message it signs; even exponents are not RSA.
      fail(ctx, `${prop}.e`, `${exponent}`, 'an odd RSA public exponent of at least 3 (usually 65537, "AQAB")');
    }
    const algName = jwk.alg ?? DEFAULT_ALG[curve];
    const alg = ALGORITHMS.find(a => a.name === algName);
    if (!alg) {
      fail(ctx, algProp, algName, `one of ${ALGORITHMS.map(a => a.name).join(', ')} (HMAC algorithms are not accepted)`);
    }
    if (alg._key !== curve) {
      fail(ctx, algProp, alg.name, `an algorithm for a ${curve} key: ${ALGORITHMS.filter(a => a._key === curve).map(a => a.name).join(', ')}`);
    }
    if (jwk.use !== undefined && jwk.use !== 'sig') {
      fail(ctx, `${prop}.use`, jwk.use, '"sig"');
    }
    if (jwk.key_ops !== undefined && (!Array.isArray(jwk.key_ops) || !jwk.key_ops.includes('verify'))) {
      fail(ctx, `${prop}.key_ops`, jwk.key_ops, 'a list that includes "verify" (or no key_ops): the key verifies signatures');
    }
    const kid = jwk.kid ?? thumbprint(pub);
    if (typeof kid !== 'string' || !/^[\x21-\x7e]+$/.test(kid)) {
      fail(ctx, kidProp, kid, 'a non-empty key ID of printable ASCII without spaces');
    }
    if (this.byKid.has(kid)) {
      fail(ctx, kidProp, kid, 'a key ID not used by another key of the set');
    }
    this.byKid.set(kid, { kty, kid, use: 'sig', alg: alg.name, ...Object.fromEntries(MEMBERS[kty].map(m => [m, jwk[m]])) });
  }
}

const DEFAULT_ALG: { [curve: string]: string } = { 'RSA': 'RS256', 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512', 'Ed25519': 'EdDSA' };

/** RFC 7638: SHA-256 over the required members in lexicographic order, base64url. */
function thumbprint(pub: { [m: string]: string }): string {
  const json = JSON.stringify(Object.fromEntries(Object.keys(pub).sort().map(m => [m, pub[m]])));
  return createHash('sha256').update(json, 'utf8').digest('base64url');
}

import { createHash } from 'crypto';
import * as bcrypt from 'bcryptjs';
import { checkArgs, checkInteger, checkUsername, fail, made, REDACTED, Shown } from '../_validate';

/**
 * The password hash algorithm of a `BasicAuthUser`, as htpasswd files and Traefik know them.
 */
export class PasswordHashAlgorithm {
  /** bcrypt (`$2a$`, `$2b$`, `$2y$`): the recommended algorithm. */
  public static readonly BCRYPT = new PasswordHashAlgorithm('bcrypt');
  /** Apache MD5-crypt (`$apr1$`): weak, for existing htpasswd files only. */
  public static readonly APR1 = new PasswordHashAlgorithm('apr1');
  /** Unsalted SHA-1 (`{SHA}`): weak, for existing htpasswd files only. */
  public static readonly SHA1 = new PasswordHashAlgorithm('sha1');

  /** The algorithm's name: `bcrypt`, `apr1` or `sha1`. */
  public readonly name: string;

  private constructor(name: string) {
    made(this);
    this.name = name;
  }
}

/**
 * Options for `BasicAuthUser.fromPassword`.
 */
export interface BasicAuthUserOptions {
  /**
   * The bcrypt cost (log2 of the rounds), 4 to 31. Every request that carries credentials pays
   * it once, so 10 to 12 is the sane range for an ingress.
   *
   * @default 10
   */
  readonly cost?: number;

  /**
   * The bcrypt salt: 22 characters of bcrypt's base64 alphabet (`./A-Za-z0-9`), 16 bytes.
   *
   * Without it the salt is derived from the username alone (never from the password, which a
   * salt in the hash line would let anyone test with one SHA-256 instead of one bcrypt), so the
   * same inputs give the same hash and the synthesized manifests do not change from one synth to
   * the next. The price: the same username and password give the same hash wherever they are
   * used, so two clusters sharing a password can be linked, and an attacker who targets one
   * username can precompute bcrypt guesses for it. Pass a salt (random, kept with the password,
   * fixed per environment) to avoid both.
   *
   * @default - derived from the username (deterministic)
   */
  readonly salt?: string;
}

const CTX_PASSWORD = 'BasicAuthUser.fromPassword';
const CTX_HASH = 'BasicAuthUser.fromHash';
const BCRYPT_HASH = /^\$2[abxy]\$(\d\d)\$[./A-Za-z0-9]{53}$/;
const APR1_HASH = /^\$apr1\$[./0-9A-Za-z]{1,8}\$[./0-9A-Za-z]{22}$/;
const SHA1_HASH = /^\{SHA\}[A-Za-z0-9+/]{27}=$/;
const BCRYPT_SALT = /^[./A-Za-z0-9]{21}[.Oeu]$/;

/** bcrypt results of this process, so that the same user hashed twice costs one bcrypt. */
const hashCache = new Map<string, string>();

/**
 * A user of HTTP basic authentication: a username and a password hash, never the password.
 *
 * `fromPassword` hashes with bcrypt (bcryptjs); `fromHash` takes a hash made elsewhere
 * (`htpasswd -B`, an existing htpasswd file).
 */
export class BasicAuthUser {
  /**
   * Hashes a password with bcrypt.
   *
   * The plaintext password is used only to compute the hash; it is not kept and never
   * appears in synthesized output. It does appear in your cdk8s app's source or inputs:
   * read it from the environment or a secret store rather than writing it in code, or
   * use `fromHash` with a hash made outside the app.
   *
   * @param username the user name: not empty, no ':' (the htpasswd separator), no line breaks
   * @param password the password: not empty, at most 72 bytes of UTF-8 (bcrypt ignores the rest)
   * @param options cost and salt
   */
  public static fromPassword(username: string, password: string, options: BasicAuthUserOptions = {}): BasicAuthUser {
    [username, password, options = {}] = checkArgs(CTX_PASSWORD, 'BasicAuthUser', 'fromPassword', [username, password, options]);
    checkUsername(CTX_PASSWORD, 'username', username, USERNAME_NOTE);
    if (password.length === 0) {
      fail(CTX_PASSWORD, 'password', new Shown('<empty>'), `a non-empty password for user "${username}"`);
    }
    if (Buffer.byteLength(password, 'utf8') > 72) {
      fail(CTX_PASSWORD, 'password', REDACTED,
        `a password of at most 72 bytes of UTF-8 for user "${username}" (bcrypt ignores the bytes after 72)`);
    }
    const cost = checkInteger(CTX_PASSWORD, 'options.cost', options.cost ?? 10, 4, 31);
    if (options.salt !== undefined && !BCRYPT_SALT.test(options.salt)) {
      fail(CTX_PASSWORD, 'options.salt', REDACTED,
        '22 characters of bcrypt base64 ("./A-Za-z0-9", the last one of ".Oeu"), as in the 22 characters after "$2b$10$" of a bcrypt hash');
    }
    const salt = options.salt ?? derivedSalt(username);
    const key = createHash('sha256').update(JSON.stringify([cost, salt, username, password])).digest('hex');
    let hash = hashCache.get(key);
    if (hash === undefined) {
      hash = bcrypt.hashSync(password, `$2b$${String(cost).padStart(2, '0')}$${salt}`);
      hashCache.set(key, hash);
    }
    return new BasicAuthUser(username, hash, PasswordHashAlgorithm.BCRYPT);
  }

  /**
   * A user whose password was hashed elsewhere, for example with `htpasswd -nbB user password`.
   *
   * @param username the user name: not empty, no ':', no line breaks
   * @param hash a bcrypt (`$2a$`, `$2b$`, `$2y$`, cost 4-31), Apache MD5 (`$apr1$`) or `{SHA}` hash
   */
  public static fromHash(username: string, hash: string): BasicAuthUser {
    [username, hash] = checkArgs(CTX_HASH, 'BasicAuthUser', 'fromHash', [username, hash]);
    checkUsername(CTX_HASH, 'username', username, USERNAME_NOTE);
    const bcryptMatch = BCRYPT_HASH.exec(hash);
    if (bcryptMatch && Number(bcryptMatch[1]) >= 4 && Number(bcryptMatch[1]) <= 31) {
      return new BasicAuthUser(username, hash, PasswordHashAlgorithm.BCRYPT);
    }
    if (APR1_HASH.test(hash)) {
      return new BasicAuthUser(username, hash, PasswordHashAlgorithm.APR1);
    }
    if (SHA1_HASH.test(hash)) {
      return new BasicAuthUser(username, hash, PasswordHashAlgorithm.SHA1);
    }
    // Do not echo the value: a plaintext password passed here by mistake must not reach logs.
    fail(CTX_HASH, 'hash', REDACTED,
      `a bcrypt ("$2b$10$" + 53 characters), "$apr1$" or "{SHA}" hash for user "${username}"; plaintext passwords are not accepted`);
  }

  /** The user name. */
  public readonly username: string;

  /** The password hash. */
  public readonly hash: string;

  /** The hash algorithm. */
  public readonly algorithm: PasswordHashAlgorithm;

  private constructor(username: string, hash: string, algorithm: PasswordHashAlgorithm) {
    made(this);
    this.username = username;
    this.hash = hash;
    this.algorithm = algorithm;
  }

  /** The user's htpasswd line, `username:hash`. */
  public toHtpasswdLine(): string {
    return `${this.username}:${this.hash}`;
  }
}

const USERNAME_NOTE = ' (htpasswd lines are "user:hash")';

/**
 * 16 bytes from SHA-256 over the username, in bcrypt's base64: the same user, the same salt. The
 * password must not go in: the salt is public in the hash line, and a salt that depends on the
 * password is a fast test of guesses that skips bcrypt.
 */
function derivedSalt(username: string): string {
  const digest = createHash('sha256')
    .update('cdk8s-secure-serving/bcrypt-salt/v2\0')
    .update(username, 'utf8')
    .digest();
  return bcrypt.encodeBase64([...digest.subarray(0, 16)], 16);
}

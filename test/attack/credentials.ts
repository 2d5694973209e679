/**
 * Credentials for the attack tests: one good credential and the bad ones an attacker has
 * (none, wrong, expired, for another issuer or audience, signed with another key, ...).
 */
import { generateKeyPairSync, KeyObject } from 'crypto';
import { SignJWT, exportJWK } from 'jose';

/** A credential as request headers, with what it is. */
export interface Credential {
  readonly label: string;
  readonly headers: { readonly [name: string]: string };
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;

/** The good basic-auth credential and the bad ones. */
export function basicCredentials(user: string, password: string): { good: Credential; bad: Credential[] } {
  return {
    good: { label: `basic ${user} with the right password`, headers: { authorization: basic(user, password) } },
    bad: [
      { label: 'no credentials', headers: {} },
      { label: 'wrong password', headers: { authorization: basic(user, `${password}x`) } },
      { label: 'unknown user', headers: { authorization: basic(`${user}x`, password) } },
      { label: 'empty user and password', headers: { authorization: basic('', '') } },
      { label: 'user without password', headers: { authorization: basic(user, '') } },
      { label: 'not base64', headers: { authorization: 'Basic !!!' } },
      { label: 'a Bearer token instead', headers: { authorization: 'Bearer abc.def.ghi' } },
    ],
  };
}

/** An issuer with its own key pair. */
export interface TestIssuer {
  readonly issuer: string;
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** The issuer's JWKS (public key only). */
  readonly jwks: { keys: any[] };
}

/** Makes an issuer with a fresh P-256 key. */
export async function newIssuer(issuer: string, kid = 'k1'): Promise<TestIssuer> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = await exportJWK(publicKey);
  return { issuer, kid, privateKey, publicKey, jwks: { keys: [{ ...jwk, kid, alg: 'ES256', use: 'sig' }] } };
}

interface TokenOptions {
  readonly issuer?: string;
  readonly audience?: string | null;
  readonly expiresInSeconds?: number | null;
  /** An `exp` claim as given (epoch seconds), instead of `expiresInSeconds`. */
  readonly exp?: number;
  readonly key?: KeyObject;
  readonly subject?: string;
}

/** A signed token of `by` (claims overridable). */
export async function token(by: TestIssuer, opts: TokenOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  let jwt = new SignJWT({ sub: opts.subject ?? 'client' })
    .setProtectedHeader({ alg: 'ES256', kid: by.kid })
    .setIssuer(opts.issuer ?? by.issuer)
    .setIssuedAt(now - 10);
  if (opts.audience !== null) {
    jwt = jwt.setAudience(opts.audience ?? 'ml-api');
  }
  if (opts.exp !== undefined) {
    // jose refuses a non-positive exp: set the claim by hand
    return new SignJWT({ sub: opts.subject ?? 'client', iss: opts.issuer ?? by.issuer, iat: now - 10, exp: opts.exp, ...(opts.audience === null ? {} : { aud: opts.audience ?? 'ml-api' }) })
      .setProtectedHeader({ alg: 'ES256', kid: by.kid }).sign(opts.key ?? by.privateKey);
  }
  if (opts.expiresInSeconds !== null) {
    jwt = jwt.setExpirationTime(now + (opts.expiresInSeconds ?? 600));
  }
  return jwt.sign(opts.key ?? by.privateKey);
}

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

/**
 * The good bearer token for `audience` and the bad ones: none, garbage, expired, another
 * issuer (with its own valid signature), another audience, no audience, no expiry, signed
 * with a key the issuer does not publish, `alg: none`, a token in the wrong header form.
 */
export async function jwtCredentials(issuer: TestIssuer, audience: string): Promise<{ good: Credential; bad: Credential[] }> {
  const other = await newIssuer('https://other-issuer.example.net', issuer.kid);
  const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
  const claims = Buffer.from(JSON.stringify({ iss: issuer.issuer, aud: audience, sub: 'x', exp: Math.floor(Date.now() / 1000) + 600 }))
    .toString('base64url');
  const good = await token(issuer, { audience });
  return {
    good: { label: 'a valid token', headers: bearer(good) },
    bad: [
      { label: 'no token', headers: {} },
      { label: 'garbage token', headers: bearer('abc.def.ghi') },
      { label: 'expired token', headers: bearer(await token(issuer, { audience, expiresInSeconds: -3600 })) },
      { label: 'token of another issuer', headers: bearer(await token(other, { audience })) },
      { label: 'token claiming the issuer, signed by another issuer', headers: bearer(await token(other, { audience, issuer: issuer.issuer })) },
      { label: 'token for another audience', headers: bearer(await token(issuer, { audience: 'some-other-service' })) },
      { label: 'token without an audience', headers: bearer(await token(issuer, { audience: null })) },
      { label: 'token without an expiry', headers: bearer(await token(issuer, { audience, expiresInSeconds: null })) },
      // jwt_verify_lib reads exp 0 (or a fraction below 1) as no expiry at all
      { label: 'token with exp 0', headers: bearer(await token(issuer, { audience, exp: 0 })) },
      { label: 'token with exp 0.5', headers: bearer(await token(issuer, { audience, exp: 0.5 })) },
      { label: 'token signed with an unpublished key', headers: bearer(await token(issuer, { audience, key: stranger })) },
      { label: 'unsigned token (alg none)', headers: bearer(`${header}.${claims}.`) },
      { label: 'token without the Bearer prefix', headers: { authorization: good } },
      { label: 'token in a query parameter only', headers: {} },
    ],
  };
}

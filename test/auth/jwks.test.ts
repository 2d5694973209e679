import { generateKeyPairSync, KeyObject } from 'crypto';
import { calculateJwkThumbprint, createLocalJWKSet, jwtVerify, SignJWT } from 'jose';
import { JsonWebKeySet, JwtAlgorithm } from '../../src';

const pem = (k: KeyObject) => k.export({ type: 'spki', format: 'pem' }).toString();
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
const p521 = generateKeyPairSync('ec', { namedCurve: 'P-521' });
const ed = generateKeyPairSync('ed25519');

const KEYS: [string, { publicKey: KeyObject; privateKey: KeyObject }, string][] = [
  ['RSA', rsa, 'RS256'], ['P-256', p256, 'ES256'], ['P-384', p384, 'ES384'], ['P-521', p521, 'ES512'], ['Ed25519', ed, 'EdDSA'],
];

describe('from PEM', () => {
  test.each(KEYS)('%s: public members as node exports them, default alg, use sig, RFC 7638 kid', async (_n, pair, alg) => {
    const set = JsonWebKeySet.fromPublicKeyPem(pem(pair.publicKey));
    const [key] = set.keys;
    const exported = pair.publicKey.export({ format: 'jwk' }) as any;
    expect(key).toMatchObject({ ...exported, alg, use: 'sig' });
    expect(key.kid).toBe(await calculateJwkThumbprint(exported, 'sha256'));
    expect(set.toJson()).not.toMatch(/"(d|p|q|dp|dq|qi)"/);
  });

  test.each(KEYS)('%s: a token signed by the private key verifies against the emitted JWKS; another key\'s does not', async (_n, pair, alg) => {
    const set = JsonWebKeySet.fromPublicKeyPem(pem(pair.publicKey));
    const jwks = createLocalJWKSet(JSON.parse(set.toJson()));
    const kid = set.keys[0].kid;
    const token = await new SignJWT({ sub: 'client' }).setProtectedHeader({ alg, kid }).setIssuer('me').setExpirationTime('5m').sign(pair.privateKey);
    const { payload } = await jwtVerify(token, jwks, { issuer: 'me' });
    expect(payload.sub).toBe('client');
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const forged = await new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'ES256', kid }).sign(other.privateKey);
    await expect(jwtVerify(forged, jwks)).rejects.toThrow();
  });

  test('explicit kid and algorithm; a certificate-less PKCS#1 RSA public key', () => {
    const pkcs1 = rsa.publicKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    const set = JsonWebKeySet.fromPublicKeyPem(pkcs1, { kid: 'rsa-2026', algorithm: JwtAlgorithm.PS384 });
    expect(set.keys[0]).toMatchObject({ kid: 'rsa-2026', alg: 'PS384', kty: 'RSA' });
  });

  test('toJson is byte-identical whatever the order keys were added in, with fixed member order', () => {
    const a = JsonWebKeySet.fromPublicKeyPem(pem(rsa.publicKey));
    a.addPublicKeyPem(pem(p256.publicKey));
    a.addPublicKeyPem(pem(ed.publicKey));
    const b = JsonWebKeySet.fromPublicKeyPem(pem(ed.publicKey));
    b.addPublicKeyPem(pem(p256.publicKey));
    b.addPublicKeyPem(pem(rsa.publicKey));
    expect(a.toJson()).toBe(b.toJson());
    const kids = a.keys.map(k => k.kid);
    expect(kids).toEqual([...kids].sort());
    expect(Object.keys(JSON.parse(a.toJson()).keys.find((k: any) => k.kty === 'EC'))).toEqual(['kty', 'kid', 'use', 'alg', 'crv', 'x', 'y']);
  });
});

describe('from JSON', () => {
  test('round trip', () => {
    const a = JsonWebKeySet.fromPublicKeyPem(pem(p384.publicKey));
    a.addPublicKeyPem(pem(rsa.publicKey), { kid: 'r' });
    expect(JsonWebKeySet.fromJson(a.toJson()).toJson()).toBe(a.toJson());
  });
  test('fills kid, alg and use when missing', async () => {
    const jwk = ed.publicKey.export({ format: 'jwk' }) as any;
    const set = JsonWebKeySet.fromJson(JSON.stringify({ keys: [jwk] }));
    expect(set.keys[0]).toEqual({ ...jwk, kid: await calculateJwkThumbprint(jwk, 'sha256'), alg: 'EdDSA', use: 'sig' });
  });
});

describe('bad input', () => {
  const privatePems: [string, string][] = [
    ['PKCS#8', rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()],
    ['PKCS#1 RSA', rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()],
    ['SEC1 EC', p256.privateKey.export({ type: 'sec1', format: 'pem' }).toString()],
  ];
  test.each(privatePems)('fails a %s private key PEM without echoing any of it', (_n, priv) => {
    let message = '';
    try {
      JsonWebKeySet.fromPublicKeyPem(priv);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^JsonWebKeySet.fromPublicKeyPem: invalid pem <redacted>: expected a public key, not a private key/);
    for (const line of priv.split('\n').filter(l => l.length > 10 && !l.startsWith('-----'))) {
      expect(message).not.toContain(line);
    }
  });
  test('fails a JWKS with a private member, naming it but not its value', () => {
    const jwk = { ...(p256.privateKey.export({ format: 'jwk' }) as any) };
    let message = '';
    try {
      JsonWebKeySet.fromJson(JSON.stringify({ keys: [jwk] }));
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/invalid keys\[0\]\.d <redacted>: expected no private key members/);
    expect(message).not.toContain(jwk.d);
  });
  test('fails a symmetric key', () => {
    expect(() => JsonWebKeySet.fromJson('{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}')).toThrow(/invalid keys\[0\]\.k <redacted>/);
    expect(() => JsonWebKeySet.fromJson('{"keys":[{"kty":"oct"}]}')).toThrow('invalid keys[0].kty "oct": expected RSA, EC or OKP');
  });
  test('fails an RSA key under 2048 bits', () => {
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(() => JsonWebKeySet.fromPublicKeyPem(pem(small.publicKey))).toThrow('invalid pem "RSA-1024": expected an RSA key of at least 2048 bits');
  });
  test('fails an algorithm that does not fit the key', () => {
    expect(() => JsonWebKeySet.fromPublicKeyPem(pem(p384.publicKey), { algorithm: JwtAlgorithm.ES256 }))
      .toThrow('invalid options.algorithm "ES256": expected an algorithm for a P-384 key: ES384');
    expect(() => JsonWebKeySet.fromPublicKeyPem(pem(p256.publicKey), { algorithm: JwtAlgorithm.RS256 })).toThrow(/invalid options.algorithm "RS256"/);
  });
  test('fails an unsupported key type', () => {
    expect(() => JsonWebKeySet.fromPublicKeyPem(pem(generateKeyPairSync('ed448').publicKey))).toThrow('invalid pem.crv "Ed448": expected P-256, P-384, P-521 or Ed25519');
    expect(() => JsonWebKeySet.fromPublicKeyPem(pem(generateKeyPairSync('x25519').publicKey))).toThrow(/invalid pem.crv "X25519"/);
  });
  test('fails a duplicate kid', () => {
    const set = JsonWebKeySet.fromPublicKeyPem(pem(p256.publicKey), { kid: 'k1' });
    expect(() => set.addPublicKeyPem(pem(ed.publicKey), { kid: 'k1' })).toThrow('JsonWebKeySet.addPublicKeyPem: invalid options.kid "k1": expected a key ID not used by another key');
  });
  test('fails garbage PEM, malformed JSON and JSON without keys', () => {
    expect(() => JsonWebKeySet.fromPublicKeyPem('-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----')).toThrow('invalid pem <redacted>: expected a PEM public key or certificate that parses');
    expect(() => JsonWebKeySet.fromPublicKeyPem('not a pem')).toThrow('invalid pem <redacted>');
    expect(() => JsonWebKeySet.fromJson('{keys:')).toThrow('JsonWebKeySet.fromJson: invalid json <redacted>: expected a JWKS document in JSON');
    expect(() => JsonWebKeySet.fromJson('{"keys":[]}')).toThrow('expected a JWKS document with a non-empty "keys" array');
  });
  test('fails HMAC algorithms', () => {
    expect(() => JwtAlgorithm.of('HS256')).toThrow('JwtAlgorithm.of: invalid name "HS256": expected one of RS256');
    expect(JwtAlgorithm.of('ES384')).toBe(JwtAlgorithm.ES384);
    expect(() => JsonWebKeySet.fromJson(JSON.stringify({ keys: [{ ...(p256.publicKey.export({ format: 'jwk' }) as any), alg: 'HS256' }] })))
      .toThrow('invalid keys[0].alg "HS256"');
  });
  test('fails a use other than sig', () => {
    expect(() => JsonWebKeySet.fromJson(JSON.stringify({ keys: [{ ...(p256.publicKey.export({ format: 'jwk' }) as any), use: 'enc' }] })))
      .toThrow('invalid keys[0].use "enc": expected "sig"');
  });
});

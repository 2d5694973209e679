/**
 * The JWKS that EnvoyJwtProxy writes, checked by a second, non-Node implementation: Debian's
 * python3-jwt (PyJWT) verifies tokens signed with jose by the matching private keys, and
 * refuses tokens signed by another key, expired, or for another issuer or audience.
 * Needs /usr/bin/python3 with python3-jwt (`.ci/run` installs it).
 */
import { spawnSync } from 'child_process';
import { generateKeyPairSync, KeyObject } from 'crypto';
import * as fs from 'fs';
import { Testing } from 'cdk8s';
import { SignJWT } from 'jose';
import { Backend, EnvoyJwtProxy, JsonWebKeySet, JwksSource, JwtAudiences, TlsCertificate, TlsTermination } from '../../src';
import { docsOf, newChart } from '../util';

const PYTHON = '/usr/bin/python3';
const ISSUER = 'https://issuer.example.com';
const AUDIENCE = 'bookstore';
const VERIFY = `
import json, sys, jwt
req = json.load(sys.stdin)
keys = {k.key_id: k for k in jwt.PyJWKSet.from_dict(req["jwks"]).keys}
algs = {k["kid"]: k["alg"] for k in req["jwks"]["keys"]}
out = []
for token in req["tokens"]:
    try:
        header = jwt.get_unverified_header(token)
        key = keys[header["kid"]]
        claims = jwt.decode(token, key.key, algorithms=[algs[header["kid"]]], audience=req["audience"], issuer=req["issuer"],
                            options={"require": ["exp", "iss", "aud"]})
        out.append("ok:" + claims["sub"])
    except Exception as e:
        out.append(type(e).__name__)
print(json.dumps(out))
`;

const pem = (k: KeyObject) => k.export({ type: 'spki', format: 'pem' }).toString();
const KEYS: [string, string, { publicKey: KeyObject; privateKey: KeyObject }][] = [
  ['RSA', 'RS256', generateKeyPairSync('rsa', { modulusLength: 2048 })],
  ['P-256', 'ES256', generateKeyPairSync('ec', { namedCurve: 'P-256' })],
  ['P-384', 'ES384', generateKeyPairSync('ec', { namedCurve: 'P-384' })],
  ['Ed25519', 'EdDSA', generateKeyPairSync('ed25519')],
];

let jwksJson: any;
const kidOf = new Map<string, string>();

beforeAll(() => {
  if (!fs.existsSync(PYTHON) || spawnSync(PYTHON, ['-c', 'import jwt']).status !== 0) {
    throw new Error('python3-jwt is not installed: apt-get install -y python3-jwt (.ci/run does this)');
  }
  const set = JsonWebKeySet.fromPublicKeyPem(pem(KEYS[0][2].publicKey));
  KEYS.slice(1).forEach(([, , pair]) => set.addPublicKeyPem(pem(pair.publicKey)));
  const chart = newChart('bookstore');
  new EnvoyJwtProxy(chart, 'proxy', {
    backend: Backend.fromName('bookstore', 8080),
    jwt: { issuer: ISSUER, audiences: JwtAudiences.of([AUDIENCE]), jwks: JwksSource.fromKeySet(set) },
    tls: TlsTermination.atProxy(TlsCertificate.fromSecret('tls')),
  });
  const cm = docsOf(Testing.synth(chart), 'ConfigMap').find(d => d.data['jwks.json']);
  jwksJson = JSON.parse(cm.data['jwks.json']);
  for (const [name, alg, pair] of KEYS) {
    const key = jwksJson.keys.find((k: any) => k.alg === alg && JSON.stringify(pair.publicKey.export({ format: 'jwk' })).includes(k.x ?? k.n));
    kidOf.set(name, key.kid);
  }
});

function pyVerify(tokens: string[]): string[] {
  const r = spawnSync(PYTHON, ['-c', VERIFY], {
    input: JSON.stringify({ jwks: jwksJson, tokens, issuer: ISSUER, audience: AUDIENCE }), encoding: 'utf8',
  });
  if (r.status !== 0) {
    throw new Error(`python3 failed: ${r.stderr}`);
  }
  return JSON.parse(r.stdout);
}

async function token(privateKey: KeyObject, alg: string, kid: string, claims: { iss?: string; aud?: string; exp?: number | string } = {}) {
  return new SignJWT({ sub: `client-${alg}` })
    .setProtectedHeader({ alg, kid })
    .setIssuer(claims.iss ?? ISSUER)
    .setAudience(claims.aud ?? AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(claims.exp ?? '5m')
    .sign(privateKey);
}

test.each(KEYS.map(([name, alg]) => [name, alg]))('%s (%s): a token signed by the matching private key verifies with PyJWT', async (name, alg) => {
  const pair = KEYS.find(k => k[0] === name)![2];
  expect(pyVerify([await token(pair.privateKey, alg, kidOf.get(name)!)])).toEqual([`ok:client-${alg}`]);
});

test('PyJWT refuses a token signed by another key, an expired one, and wrong issuer or audience', async () => {
  const [, alg, pair] = KEYS[1];
  const kid = kidOf.get('P-256')!;
  const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const results = pyVerify([
    await token(other.privateKey, alg, kid),
    await token(pair.privateKey, alg, kid, { exp: Math.floor(Date.now() / 1000) - 600 }),
    await token(pair.privateKey, alg, kid, { iss: 'https://evil.example.com' }),
    await token(pair.privateKey, alg, kid, { aud: 'another-service' }),
  ]);
  expect(results).toEqual(['InvalidSignatureError', 'ExpiredSignatureError', 'InvalidIssuerError', 'InvalidAudienceError']);
});

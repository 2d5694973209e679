import { createHash } from 'crypto';
import * as bcrypt from 'bcryptjs';
import { BasicAuthUser, PasswordHashAlgorithm } from '../../src';

describe('BasicAuthUser.fromPassword', () => {
  test('hashes with bcrypt at cost 10 by default and keeps no plaintext', () => {
    const u = BasicAuthUser.fromPassword('user1', 'password1');
    expect(u.hash).toMatch(/^\$2b\$10\$[./A-Za-z0-9]{53}$/);
    expect(u.algorithm).toBe(PasswordHashAlgorithm.BCRYPT);
    expect(bcrypt.compareSync('password1', u.hash)).toBe(true);
    expect(bcrypt.compareSync('password2', u.hash)).toBe(false);
    expect(JSON.stringify(u)).not.toContain('password1');
    expect(u.toHtpasswdLine()).toBe(`user1:${u.hash}`);
  });
  test('is deterministic: the same inputs give the same hash', () => {
    expect(BasicAuthUser.fromPassword('user1', 'password1', { cost: 4 }).hash)
      .toBe(BasicAuthUser.fromPassword('user1', 'password1', { cost: 4 }).hash);
  });
  test('the derived salt depends on the username only: the hash line is no shortcut around bcrypt', () => {
    const a = BasicAuthUser.fromPassword('a', 'same', { cost: 4 }).hash;
    const b = BasicAuthUser.fromPassword('b', 'same', { cost: 4 }).hash;
    const c = BasicAuthUser.fromPassword('a', 'other', { cost: 4 }).hash;
    expect(bcrypt.getSalt(a)).not.toBe(bcrypt.getSalt(b));
    // the same salt for another password: the salt tells nothing about the password
    expect(bcrypt.getSalt(a)).toBe(bcrypt.getSalt(c));
    expect(a).not.toBe(c);
  });

  test('blocks guessing a password from its salt: no SHA-256 of a guess yields the salt in the hash line', () => {
    const hash = BasicAuthUser.fromPassword('user1', 'Summer2024!', { cost: 4 }).hash;
    const salt = bcrypt.getSalt(hash).slice(7);
    // what a salt derived from the password would be (the previous derivation)
    const fromPassword = (pw: string) => bcrypt.encodeBase64([...createHash('sha256')
      .update('cdk8s-secure-serving/bcrypt-salt/v1\0').update('user1').update('\0').update(pw).digest().subarray(0, 16)], 16);
    expect(['Summer2024!', 'password', 'Summer2023!'].map(fromPassword)).not.toContain(salt);
  });
  test('uses an explicit salt and cost', () => {
    const salt = 'abcdefghijklmnopqrstuO';
    const u = BasicAuthUser.fromPassword('user1', 'password1', { cost: 5, salt });
    expect(u.hash.startsWith(`$2b$05$${salt}`)).toBe(true);
    expect(bcrypt.compareSync('password1', u.hash)).toBe(true);
  });
  test('hashing the same user twice costs one bcrypt', () => {
    const inputs: [string, string, { cost: number }] = ['cached', 'pw-cached', { cost: 12 }];
    const t0 = process.hrtime.bigint();
    const first = BasicAuthUser.fromPassword(...inputs).hash;
    const t1 = process.hrtime.bigint();
    const second = BasicAuthUser.fromPassword(...inputs).hash;
    const t2 = process.hrtime.bigint();
    expect(second).toBe(first);
    // cost 12 takes tens of milliseconds; a cache hit takes microseconds
    expect(Number(t2 - t1)).toBeLessThan(Number(t1 - t0) / 10);
  });
  test('fails an empty username', () => {
    expect(() => BasicAuthUser.fromPassword('', 'pw')).toThrow('BasicAuthUser.fromPassword: invalid username "": expected a user name of 1 to 256 characters without ":" or control characters');
  });
  test('fails a username with ":"', () => {
    expect(() => BasicAuthUser.fromPassword('a:b', 'pw')).toThrow('invalid username "a:<redacted>"');
  });
  test('fails a username with a newline', () => {
    expect(() => BasicAuthUser.fromPassword('a\nb', 'pw')).toThrow('invalid username "a\\nb"');
  });
  test('fails an empty password without echoing anything', () => {
    expect(() => BasicAuthUser.fromPassword('u', '')).toThrow('BasicAuthUser.fromPassword: invalid password <empty>: expected a non-empty password for user "u"');
  });
  test('fails a password longer than 72 bytes, without echoing it', () => {
    const pw = 'é'.repeat(37); // 74 bytes
    let message = '';
    try {
      BasicAuthUser.fromPassword('u', pw);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/invalid password <redacted>: expected a password of at most 72 bytes/);
    expect(message).not.toContain(pw);
  });
  test.each([3, 32, 10.5])('fails cost %p outside bcrypt\'s range', cost => {
    expect(() => BasicAuthUser.fromPassword('u', 'pw', { cost })).toThrow(`invalid options.cost ${cost}: expected an integer from 4 to 31`);
  });
  test('fails a malformed salt', () => {
    expect(() => BasicAuthUser.fromPassword('u', 'pw', { salt: 'short' })).toThrow('invalid options.salt <redacted>: expected 22 characters of bcrypt base64');
  });
});

describe('BasicAuthUser.fromHash', () => {
  test.each([
    ['$2y$05$' + 'a'.repeat(53), 'bcrypt'],
    ['$2a$10$' + 'B'.repeat(53), 'bcrypt'],
    ['$2b$31$' + '.'.repeat(53), 'bcrypt'],
    ['$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/', 'apr1'],
    ['{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=', 'sha1'],
  ])('accepts %s', (hash, algorithm) => {
    const u = BasicAuthUser.fromHash('user', hash);
    expect(u.hash).toBe(hash);
    expect(u.algorithm.name).toBe(algorithm);
  });
  test.each([
    'password1',
    '$2b$10$tooshort',
    '$2b$03$' + 'a'.repeat(53),
    '$2c$10$' + 'a'.repeat(53),
    '$apr1$toolongsalt$HqJZimcKQFAMYayBlzkrA/',
    '{SHA}notbase64',
    '$1$md5crypt$abcdefghijklmnopqrstuv',
  ])('fails a malformed hash %s without echoing it', hash => {
    let message = '';
    try {
      BasicAuthUser.fromHash('user', hash);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^BasicAuthUser.fromHash: invalid hash <redacted>: expected a bcrypt .* hash for user "user"; plaintext passwords are not accepted$/);
    expect(message).not.toContain(hash);
  });
  test('fails a bad username', () => {
    expect(() => BasicAuthUser.fromHash('a:b', '{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=')).toThrow('BasicAuthUser.fromHash: invalid username "a:<redacted>"');
  });
});

import { Duration, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import {
  checkDns1035Label, checkDnsLabel, checkDnsSubdomain, checkDuration, checkHostname, checkHostnames, checkInteger,
  checkNonEmpty, checkPort, contextOf, protoDuration,
} from '../src/_validate';

const CTX = 'Thing Test/thing';

describe('DNS names', () => {
  test.each(['a', 'abc', 'a-b', '0abc', 'a'.repeat(63)])('accepts DNS-1123 label %s', v => {
    expect(checkDnsLabel(CTX, 'name', v)).toBe(v);
  });
  test.each(['', 'A', 'a_b', '-a', 'a-', 'a.b', 'a'.repeat(64)])('fails a DNS-1123 label %j', v => {
    expect(() => checkDnsLabel(CTX, 'name', v)).toThrow(`Thing Test/thing: invalid name ${JSON.stringify(v)}: expected a DNS-1123 label`);
  });
  test('fails a DNS-1035 label starting with a digit, accepts one starting with a letter', () => {
    expect(() => checkDns1035Label(CTX, 'name', '1model')).toThrow(/invalid name "1model": expected a DNS-1035 label/);
    expect(checkDns1035Label(CTX, 'name', 'model-1')).toBe('model-1');
  });
  test('DNS-1123 subdomains: dots allowed, 253 characters at most', () => {
    expect(checkDnsSubdomain(CTX, 'name', 'a.b-c.d')).toBe('a.b-c.d');
    const long = Array(64).fill('abc').join('.');
    expect(long.length).toBeGreaterThan(253);
    expect(() => checkDnsSubdomain(CTX, 'name', long)).toThrow(/expected a DNS-1123 subdomain/);
    expect(() => checkDnsSubdomain(CTX, 'name', 'a..b')).toThrow(/expected a DNS-1123 subdomain/);
  });
});

describe('host names', () => {
  test('accepts a FQDN, and a wildcard only when allowed', () => {
    expect(checkHostname(CTX, 'host', 'api.example.com')).toBe('api.example.com');
    expect(checkHostname(CTX, 'host', '*.example.com', { wildcard: true })).toBe('*.example.com');
    expect(() => checkHostname(CTX, 'host', '*.example.com')).toThrow(/invalid host "\*\.example\.com": expected a fully qualified DNS name .*no wildcard/);
  });
  test.each(['localhost', 'API.example.com', 'a_b.example.com', 'example.com.', '*', '*.com', 'a.*.example.com', 'https://x.example.com'])(
    'fails host %j', h => {
      expect(() => checkHostname(CTX, 'host', h, { wildcard: true })).toThrow(`${CTX}: invalid host ${JSON.stringify(h)}: expected a fully qualified DNS name`);
    });
  test('fails an empty host list', () => {
    expect(() => checkHostnames(CTX, 'hosts', [])).toThrow('Thing Test/thing: invalid hosts []: expected at least one host name');
  });
  test('fails a duplicate host, naming its index', () => {
    expect(() => checkHostnames(CTX, 'hosts', ['a.example.com', 'b.example.com', 'a.example.com']))
      .toThrow('invalid hosts[2] "a.example.com": expected each host once (it is listed twice)');
  });
  test('fails a bad host in a list, naming its index', () => {
    expect(() => checkHostnames(CTX, 'hosts', ['a.example.com', 'Bad'])).toThrow(/invalid hosts\[1\] "Bad"/);
  });
  test('returns a copy of a valid list', () => {
    const hosts = ['a.example.com'];
    const out = checkHostnames(CTX, 'hosts', hosts);
    expect(out).toEqual(hosts);
    expect(out).not.toBe(hosts);
  });
});

describe('numbers', () => {
  test.each([1, 80, 65535])('accepts port %d', p => expect(checkPort(CTX, 'port', p)).toBe(p));
  test.each([0, -1, 65536, 1.5, NaN])('fails port %d', p => {
    expect(() => checkPort(CTX, 'port', p)).toThrow(`invalid port ${JSON.stringify(p)}: expected a port number, an integer from 1 to 65535`);
  });
  test('fails an integer out of range', () => {
    expect(() => checkInteger(CTX, 'cost', 32, 4, 31)).toThrow('invalid cost 32: expected an integer from 4 to 31');
    expect(checkInteger(CTX, 'cost', 4, 4, 31)).toBe(4);
  });
  test('fails an empty or blank string', () => {
    expect(() => checkNonEmpty(CTX, 'issuer', '  ')).toThrow('invalid issuer "  ": expected a non-empty string');
    expect(checkNonEmpty(CTX, 'issuer', 'x')).toBe('x');
  });
});

describe('durations', () => {
  test('accepts a positive duration and formats it as protobuf JSON', () => {
    expect(protoDuration(checkDuration(CTX, 'timeout', Duration.seconds(30)))).toBe('30s');
    expect(protoDuration(Duration.millis(250))).toBe('0.25s');
    expect(protoDuration(Duration.millis(1005))).toBe('1.005s');
    expect(protoDuration(Duration.minutes(10))).toBe('600s');
  });
  test('fails a zero duration', () => {
    expect(() => checkDuration(CTX, 'timeout', Duration.seconds(0))).toThrow('invalid timeout 0ms: expected a duration at least 1ms');
  });
  test('fails a duration above the maximum', () => {
    expect(() => checkDuration(CTX, 'timeout', Duration.hours(2), { max: Duration.hours(1) }))
      .toThrow('invalid timeout 7200000ms: expected a duration from 1ms to 3600000ms');
  });
  test('fails a duration finer than a millisecond', () => {
    expect(() => checkDuration(CTX, 'timeout', Duration.millis(1.5))).toThrow(/expected a duration in whole milliseconds/);
  });
  test('fails something that is not a Duration', () => {
    expect(() => checkDuration(CTX, 'timeout', '30s' as any)).toThrow('invalid timeout "30s": expected a Duration, for example Duration.seconds(30)');
  });
});

test('the context names the construct class and path', () => {
  const chart = Testing.chart();
  expect(contextOf(chart, 'Chart')).toBe(`Chart ${chart.node.path}`);
});

describe('claims', () => {
  test('live on the app: a second copy of the library in the process sees the first copy\'s claims, another app does not', () => {
    // Two module instances, as two installed copies of the package would be.
    let first: typeof import('../src/_validate') | undefined;
    let second: typeof import('../src/_validate') | undefined;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    jest.isolateModules(() => { first = require('../src/_validate'); });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    jest.isolateModules(() => { second = require('../src/_validate'); });
    expect(first).not.toBe(second);
    const app = Testing.app();
    const chart = Testing.chart();
    const a = new Construct(app, 'a');
    const b = new Construct(app, 'b');
    const c = new Construct(chart, 'c');
    expect(first!.claim(a, 'front door x /')).toBeUndefined();
    expect(second!.claim(b, 'front door x /')).toBe('a');
    expect(second!.claim(c, 'front door x /')).toBeUndefined();
  });
});

/**
 * Values the documentation rules out, shared by the constructs: bad host names (upper case, IP
 * addresses, one label, trailing dot, wildcards where none are allowed, ...), bad DNS labels,
 * bad label maps, durations out of range, and JWT options that break a documented rule.
 */
import { Duration } from 'cdk8s';
import { DELETE, Mutation, mutation } from './_support';

/** Host names that are never valid (wildcards are tested separately). */
export function badHosts(h: string): string[] {
  const bare = h.replace(/^\*\./, '');
  return [
    h.toUpperCase(), bare.replace(/[a-z]/, c => c.toUpperCase()), '10.0.0.1', '192.168.1.20', '::1', '[::1]', 'localhost', `${h}.`,
    `a_b.${bare}`, `https://${bare}`, '*.com', 'a.*.example.com', '', `${'a'.repeat(64)}.example.com`, 'api.example.123', '*', `${bare}:443`,
    `${bare}/path`, ' api.example.com', `${'a.'.repeat(127)}com`, '**.example.com',
  ].filter(bad => bad !== h);
}

/** Each host of a list replaced by bad ones, the list empty, a host listed twice. */
export function hostListMutations(p: string, hosts: string[]): Mutation[] {
  const out = hosts.flatMap((h, i) => badHosts(h).map(bad => mutation(`${p}[${i}]`, bad)));
  out.push(mutation(p, []), mutation(`${p}[${hosts.length}]`, hosts[0]));
  out.push(...sparseListMutations(p, hosts));
  return out;
}

/** A list with a hole (`[, "a"]`: JavaScript callers can build one; a hole is written as null). */
export function sparseListMutations(p: string, list: unknown[]): Mutation[] {
  const holeFirst: unknown[] = [];
  holeFirst[1] = list[0];
  const holeLast: unknown[] = [...list];
  holeLast.length = list.length + 1;
  return [mutation(p, holeFirst), mutation(p, holeLast)];
}

/** Not RFC 1123 labels. */
export const BAD_DNS_LABELS = ['Istio-System', 'a.b', '', '-a', 'a-', 'a'.repeat(64), 'ns_1', ' ns', 'ns ', 'ä'];

/** Not RFC 1123 subdomains. */
export const BAD_DNS_SUBDOMAINS = ['Bad', '', 'a_b', 'a..b', '-a', 'a.', `${'a'.repeat(64)}.b`, 'a'.repeat(254), 'a b'];

export function labelMutations(p: string, values: string[]): Mutation[] {
  return values.map(v => mutation(p, v));
}

/** Label maps Kubernetes refuses: empty, bad keys, bad values. */
export function labelMapMutations(p: string): Mutation[] {
  return [
    ...[{}, { '-bad': 'x' }, { app: 'bad value' }, { app: 'x'.repeat(64) }, { 'a/b/c': 'x' }, { 'Bad_Prefix.io/a': 'x' }, { '': 'x' },
      { 'app': 'x', 'a b': 'y' }, { app: '-x' }].map(v => mutation(p, v)),
    // Kubernetes: the name part of a label key has at most 63 characters, the prefix at most 253
    ...[{ [`${'a'.repeat(64)}`]: 'x' }, { [`example.com/${'b'.repeat(64)}`]: 'x' }, { [`${'c'.repeat(254)}/a`]: 'x' }]
      .map(v => mutation(p, v)),
  ];
}


/** Durations below 1ms or not in whole milliseconds (and, with `wholeSeconds`, not in whole seconds). */
export function durationMutations(p: string, wholeSeconds: boolean): Mutation[] {
  const bad = [Duration.seconds(0), Duration.millis(0.5), Duration.millis(1500.5), Duration.millis(0.001)];
  if (wholeSeconds) {
    bad.push(Duration.millis(1500), Duration.millis(999), Duration.millis(1));
  }
  return bad.map(d => mutation(p, d));
}

/** JWKS URLs a proxy must not fetch, or that are not https URLs. */
export const BAD_JWKS_URIS = [
  'http://issuer.example.com/jwks', 'https://localhost/jwks', 'https://127.0.0.1/x', 'https://169.254.169.254/latest', 'https://[::1]/x',
  'https://metadata.google.internal/x', 'not a url', 'ftp://x.example.com/jwks', 'https://', '', 'https://a.localhost/jwks',
  'https://2130706433/jwks', 'https://0x7f.1/jwks', 'https://[::ffff:127.0.0.1]/jwks', 'https://user:pw@issuer.example.com/jwks',
  ' https://issuer.example.com/jwks', 'https://issuer.example.com/jwks ', 'https://0.0.0.0/jwks', 'https://[fe80::1]/jwks',
];

/**
 * Breaks one rule of a JwtIssuer at `p` (`jwt`, `exemptions[0].jwt`): the issuer; the key source and the
 * audiences missing, or given as the old shapes (a URL string, a list), which only the types refuse.
 * Bad URLs and audience lists fail in their factories (`JwksSource.fromUri`, `JwtAudiences.of`).
 */
export function jwtMutations(p: string, _jwt: any): Mutation[] {
  const out: Mutation[] = [];
  for (const bad of ['', ' ', 'a b', 'x\ty', 'x'.repeat(2049), 'new\nline', '\u0000', ' https://issuer.example.com']) {
    out.push(mutation(`${p}.issuer`, bad));
  }
  out.push(mutation(`${p}.jwks`, DELETE), mutation(`${p}.jwks`, 'https://issuer.example.com/jwks'),
    mutation(`${p}.audiences`, DELETE), mutation(`${p}.audiences`, ['aud']), mutation(`${p}.forwardToken`, 'false'));
  return out;
}

/** Integers out of range (or not integers) for a prop taking `min`..`max`. */
export function integerMutations(p: string, min: number, max: number): Mutation[] {
  return [min - 1, max + 1, min + 0.5, -0.5, Number.MAX_SAFE_INTEGER, 2 ** 53 + 2, -Infinity].filter(v => v < min || v > max || !Number.isInteger(v))
    .map(v => mutation(p, v));
}

/** Breaks one rule of an external authorization provider at `p` (`provider`, `externalAuthorization`). */
export function providerMutations(p: string, provider: any): Mutation[] {
  const out: Mutation[] = [];
  for (const bad of ['', '-x', 'a b', 'a/b', 'x-', 'ä']) {
    out.push(mutation(`${p}.name`, bad));
  }
  for (const bad of ['authservice', 'Auth.ns.svc', 'a.b.c', 'a.b', 'a.b.svc.', 'a.b.svc..x', 'a_b.ns.svc', 'a.ns.svc.Cluster', '', 'http://a.ns.svc']) {
    out.push(mutation(`${p}.service`, bad));
  }
  out.push(...integerMutations(`${p}.port`, 1, 65535), ...integerMutations(`${p}.statusOnError`, 400, 599));
  out.push(...durationMutations(`${p}.timeout`, false), mutation(`${p}.protocol`, 'GRPC'), mutation(`${p}.protocol`, 'http2'));
  const grpc = provider.protocol === 'grpc';
  for (const list of ['includeRequestHeadersInCheck', 'headersToUpstreamOnAllow', 'headersToDownstreamOnDeny']) {
    if (grpc) {
      out.push(mutation(`${p}.${list}`, ['authorization']));
      continue;
    }
    out.push(mutation(`${p}.${list}`, []), ...sparseListMutations(`${p}.${list}`, provider[list] ?? ['authorization']));
    for (const bad of ['Authorization', 'a b', 'a:b', '', 'x"y', 'ä']) {
      out.push(mutation(`${p}.${list}`, [bad], `${p}.${list}[0]`));
    }
  }
  if (provider.failOpen === true) {
    out.push(mutation(`${p}.acknowledgeFailOpen`, false, `${p}.failOpen`), mutation(`${p}.acknowledgeFailOpen`, DELETE, `${p}.failOpen`));
  } else {
    out.push(mutation(`${p}.failOpen`, true), mutation(`${p}.acknowledgeFailOpen`, true), mutation(`${p}.acknowledgeFailOpen`, false));
  }
  return out;
}

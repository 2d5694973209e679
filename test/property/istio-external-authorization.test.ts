import * as fc from 'fast-check';
import { dnsLabel, externalAuthorizationProvider, hostList, istioJwt, labels, shortLabel, word } from './_arbitraries';
import {
  BAD_DNS_LABELS, hostListMutations, jwtMutations, labelMapMutations, labelMutations, providerMutations, sparseListMutations,
} from './_mutations';
import {
  applyMutation, checkInvalidSpecs, checkValidSpecs, ConstructCase, DELETE, expectChecksCatchBrokenCases, expectRefusedWithoutSecret,
  Make, materialize, Mutation, mutation, mutationsOf, newApp, props, propsMutations, secretArb,
} from './_support';
import { IstioExternalAuthorization, JwksSource } from '../../src';

const CLASS = 'IstioExternalAuthorization';
const TIMEOUT = 120_000;

const provider = externalAuthorizationProvider(true);

/**
 * A JwtIssuer: the issuer, its keys (a JWKS URL or a key set, built per app) and the audiences (or any audience, by
 * choice).
 */
/** A JwtIssuer (the shared arbitrary). */
const jwtIssuer = istioJwt;

/** The gateway pods without `gatewayPods`. */
const DEFAULT_PODS = { namespace: 'istio-system', selector: { istio: 'ingressgateway' } };
const gatewayPods = fc.record({ namespace: dnsLabel, selector: labels });

/** Path patterns: exact, `prefix*` or `*suffix`. */
const pathPattern = fc.oneof(
  fc.stringMatching(/^\/[!-)+-~]{0,15}$/),
  fc.stringMatching(/^\/[!-)+-~]{0,15}\*$/),
  fc.stringMatching(/^\*[!-)+-~]{1,15}$/),
);

const exempt = fc.tuple(
  fc.oneof(
    props({ hosts: hostList(true, 8) }, { unsafeAllHosts: fc.constant(false) }),
    fc.constant({ unsafeAllHosts: true }),
  ),
  props({}, { paths: fc.array(pathPattern, { minLength: 1, maxLength: 5 }) }),
  fc.oneof(
    props({ jwt: jwtIssuer }, { allowAnonymous: fc.constant(false) }),
    fc.constant({ allowAnonymous: true }),
  ),
).map(([a, b, c]) => ({ ...a, ...b, ...c }));

const valid = fc.tuple(
  props({ provider }, { gatewayPods }),
  fc.oneof(
    props({}, { acknowledgeGatewayWideJwt: fc.boolean() }),
    props({ exemptions: fc.array(exempt, { minLength: 1, maxLength: 3 }) }, {}),
  ),
).map(([a, b]) => {
  const out: any = { ...a, ...b };
  if (out.exemptions?.some((e: any) => e.jwt !== undefined)) {
    out.acknowledgeGatewayWideJwt = true;
  }
  return out;
});

const CASE: ConstructCase<any> = {
  className: CLASS,
  id: 'authz',
  valid,
  create: (chart, id, p) => JSON.stringify(new IstioExternalAuthorization(chart, id, p).meshConfig),
};

function semanticMutations(spec: any): Mutation[] {
  const out: Mutation[] = [];
  out.push(...providerMutations('provider', spec.provider));
  // the gateway pods (without gatewayPods: the default ones, with one of them changed)
  const pods = spec.gatewayPods ?? DEFAULT_PODS;
  out.push(...labelMapMutations('selector').map(m => mutation('gatewayPods', { ...pods, selector: m.value }, 'gatewayPods.selector')));
  out.push(...labelMutations('namespace', BAD_DNS_LABELS).map(m => mutation('gatewayPods', { ...pods, namespace: m.value }, 'gatewayPods.namespace')));
  const ex = spec.exemptions?.[0];
  if (ex === undefined) {
    out.push(mutation('exemptions', [{ paths: ['/v1/models/*'], allowAnonymous: true }], 'exemptions[0].hosts'));
    out.push(mutation('exemptions', [{ hosts: ['ml.example.com'] }], 'exemptions[0].jwt'));
    out.push(mutation('exemptions', Array.from({ length: 7 }, (_, i) => ({ hosts: [`m${i}.example.com`], allowAnonymous: true })), 'exemptions[6]'));
    return out.filter(m => m.expect !== 'NOT REFUSED');
  }
  if (ex.hosts !== undefined) {
    out.push(...hostListMutations('exemptions[0].hosts', ex.hosts), mutation('exemptions[0].hosts', DELETE), mutation('exemptions[0].unsafeAllHosts', true, 'exemptions[0].hosts'));
  } else {
    out.push(mutation('exemptions[0].hosts', ['ml.example.com']), mutation('exemptions[0].unsafeAllHosts', false, 'exemptions[0].hosts'),
      mutation('exemptions[0].unsafeAllHosts', DELETE, 'exemptions[0].hosts'));
  }
  const paths: string[] = ex.paths ?? ['/v1/models/*'];
  out.push(mutation('exemptions[0].paths', []), ...sparseListMutations('exemptions[0].paths', paths));
  for (const bad of ['*', '/a*b', 'v1/models', '/a b', '', '/v1/*/x', '**a*', '/x\t', ' /x']) {
    out.push(mutation('exemptions[0].paths', [...paths, bad], `exemptions[0].paths[${paths.length}]`));
  }
  if (ex.jwt !== undefined) {
    out.push(...jwtMutations('exemptions[0].jwt', ex.jwt), mutation('exemptions[0].allowAnonymous', true));
    if (!spec.exemptions.slice(1).some((e: any) => e.jwt !== undefined)) {
      out.push(mutation('acknowledgeGatewayWideJwt', false), mutation('acknowledgeGatewayWideJwt', DELETE));
    }
  } else {
    out.push(mutation('exemptions[0].allowAnonymous', false, 'exemptions[0].jwt'), mutation('exemptions[0].allowAnonymous', DELETE, 'exemptions[0].jwt'));
  }
  return out.filter(m => m.expect !== 'NOT REFUSED');
}

const typeMutations = (spec: any) => propsMutations(CLASS, spec);
const mutations = mutationsOf(typeMutations, semanticMutations);

describe('IstioExternalAuthorization properties', () => {
  test('1000 valid prop sets: schema-valid documents, the same YAML (and meshConfig) from two fresh apps', () => {
    expect(checkValidSpecs(CASE, { seed: 20251251, numRuns: 1000 })).toBeGreaterThan(1000);
  }, TIMEOUT);

  test('1000 invalid prop sets: the standard error names the prop; the id can be used again', () => {
    checkInvalidSpecs(CASE, mutations, { seed: 20251252, numRuns: 1000 });
  }, TIMEOUT);

  test('secrets in invalid positions never appear in the error', () => {
    const withJwt = valid.filter(s => s.exemptions?.[0]?.jwt !== undefined);
    fc.assert(fc.property(withJwt, secretArb, word(10), fc.constantFrom('https', 'http'), shortLabel, (spec, secret, user, scheme, host) => {
      const { chart } = newApp();
      const uri = `${scheme}://${encodeURIComponent(user)}:${secret}@${host}.example.com/jwks`;
      // the URL is refused where it is given: by JwksSource.fromUri, as the issuer's keys are built
      const jwksFromUri = new Make('JwksSource.fromUri(<a URL with a password>)', () => JwksSource.fromUri(uri));
      expectRefusedWithoutSecret(
        () => CASE.create(chart, CASE.id, applyMutation(materialize(spec, chart, 'a'), mutation('exemptions[0].jwt.jwks', jwksFromUri), chart, 'm')),
        'JwksSource.fromUri', 'uri', secret);
    }), { seed: 20251253, numRuns: 300 });
  }, TIMEOUT);

  test('negative controls: the checks catch a schema-invalid document, non-determinism, a TypeError, a wrong prop, acceptance', () => {
    expectChecksCatchBrokenCases(CASE, mutations);
  }, TIMEOUT);
});

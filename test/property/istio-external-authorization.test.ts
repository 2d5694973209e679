import * as fc from 'fast-check';
import { dnsLabel, externalAuthorizationProvider, hostList, istioJwt, labels, shortLabel, word } from './_arbitraries';
import {
  BAD_DNS_LABELS, hostListMutations, jwtMutations, labelMapMutations, labelMutations, providerMutations, sparseListMutations,
} from './_mutations';
import {
  applyMutation, checkInvalidSpecs, checkValidSpecs, ConstructCase, DELETE, expectChecksCatchBrokenCases, expectRefusedWithoutSecret,
  materialize, Mutation, mutation, mutationsOf, newApp, props, propsMutations, secretArb,
} from './_support';
import { IstioExternalAuthorization } from '../../src';

const CLASS = 'IstioExternalAuthorization';
const TIMEOUT = 120_000;

const provider = externalAuthorizationProvider(true);

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
    props({ jwt: istioJwt }, { allowAnonymous: fc.constant(false) }),
    fc.constant({ allowAnonymous: true }),
  ),
).map(([a, b, c]) => ({ ...a, ...b, ...c }));

const valid = fc.tuple(
  props({ provider }, { gatewaySelector: labels, gatewayNamespace: dnsLabel }),
  fc.oneof(
    props({}, { acknowledgeGatewayWideJwt: fc.boolean() }),
    props({ exempt }, {}),
  ),
).map(([a, b]) => {
  const out: any = { ...a, ...b };
  if (out.exempt?.jwt !== undefined) {
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
  out.push(...labelMapMutations('gatewaySelector'), ...labelMutations('gatewayNamespace', BAD_DNS_LABELS));
  const ex = spec.exempt;
  if (ex === undefined) {
    out.push(mutation('exempt', { paths: ['/v1/models/*'], allowAnonymous: true }, 'exempt.hosts'));
    out.push(mutation('exempt', { hosts: ['ml.example.com'] }, 'exempt.jwt'));
    return out.filter(m => m.expect !== 'NOT REFUSED');
  }
  if (ex.hosts !== undefined) {
    out.push(...hostListMutations('exempt.hosts', ex.hosts), mutation('exempt.hosts', DELETE), mutation('exempt.unsafeAllHosts', true, 'exempt.hosts'));
  } else {
    out.push(mutation('exempt.hosts', ['ml.example.com']), mutation('exempt.unsafeAllHosts', false, 'exempt.hosts'),
      mutation('exempt.unsafeAllHosts', DELETE, 'exempt.hosts'));
  }
  const paths: string[] = ex.paths ?? ['/v1/models/*'];
  out.push(mutation('exempt.paths', []), ...sparseListMutations('exempt.paths', paths));
  for (const bad of ['*', '/a*b', 'v1/models', '/a b', '', '/v1/*/x', '**a*', '/x\t', ' /x']) {
    out.push(mutation('exempt.paths', [...paths, bad], `exempt.paths[${paths.length}]`));
  }
  if (ex.jwt !== undefined) {
    out.push(...jwtMutations('exempt.jwt', ex.jwt), mutation('exempt.allowAnonymous', true));
    out.push(mutation('acknowledgeGatewayWideJwt', false), mutation('acknowledgeGatewayWideJwt', DELETE));
  } else {
    out.push(mutation('exempt.allowAnonymous', false, 'exempt.jwt'), mutation('exempt.allowAnonymous', DELETE, 'exempt.jwt'));
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
    const withJwt = valid.filter(s => s.exempt?.jwt !== undefined);
    fc.assert(fc.property(withJwt, secretArb, word(10), fc.constantFrom('https', 'http'), shortLabel, (spec, secret, user, scheme, host) => {
      const { chart } = newApp();
      const uri = `${scheme}://${encodeURIComponent(user)}:${secret}@${host}.example.com/jwks`;
      const bad = applyMutation(applyMutation(materialize(spec, chart, 'a'), mutation('exempt.jwt.jwks', DELETE), chart, 'm'),
        mutation('exempt.jwt.jwksUri', uri), chart, 'm');
      expectRefusedWithoutSecret(() => CASE.create(chart, CASE.id, bad), `${CLASS} c/${CASE.id}`, 'exempt.jwt.jwksUri', secret);
    }), { seed: 20251253, numRuns: 300 });
  }, TIMEOUT);

  test('negative controls: the checks catch a schema-invalid document, non-determinism, a TypeError, a wrong prop, acceptance', () => {
    expectChecksCatchBrokenCases(CASE, mutations);
  }, TIMEOUT);
});

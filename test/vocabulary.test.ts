/**
 * One shape and one name per concept across the public API, read from the type assembly
 * (.jsii) that every jsii language is generated from: a prop for TLS, a JWT issuer, a gateway's
 * pods or a timeout has the same name and type wherever it appears, and the names the shared
 * types replaced do not come back.
 */
import * as fs from 'fs';
import * as path from 'path';

const assembly = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '.jsii'), 'utf8'));
const types: { [fqn: string]: any } = assembly.types;
const OWN = 'cdk8s-secure-serving.';

/** Every prop of every exported struct, as `Struct.prop` with its type. */
const props = Object.values(types)
  .filter(t => t.kind === 'interface' && t.datatype)
  .flatMap(t => (t.properties ?? []).map((p: any) => ({ where: `${t.name}.${p.name}`, name: p.name as string, type: p.type })));

const typeName = (ref: any): string => ref.fqn?.replace(OWN, '') ?? ref.primitive ?? (ref.collection ? `${ref.collection.kind}<${typeName(ref.collection.elementtype)}>` : '?');

test('the assembly has the structs of every construct', () => {
  expect(props.length).toBeGreaterThan(150);
  expect(props.map(p => p.where)).toContain('IstioGrpcIngressProps.gateway');
});

test.each([
  ['tls', 'TlsTermination'],
  ['jwt', 'JwtIssuer'],
  ['gateway', /^(IstioGateway|GatewayApiGateway)$/],
  ['gatewayPods', 'ProxyPods'],
  ['traefikPods', 'ProxyPods'],
  ['pods', 'ProxyPods'],
  ['jwks', 'JwksSource'],
  ['audiences', 'JwtAudiences'],
  ['hosts', 'array<string>'],
  ['timeout', 'cdk8s.Duration'],
  ['name', 'string'],
])('every "%s" prop has one type', (name, type) => {
  const found = props.filter(p => p.name === name);
  expect(found.length).toBeGreaterThan(0);
  for (const p of found) {
    expect(`${p.where}: ${typeName(p.type)}`).toMatch(new RegExp(`: ${typeof type === 'string' ? type.replace('.', '\\.') : type.source.slice(1, -1)}$`));
  }
});

test('the names of replaced shapes are gone', () => {
  const gone = ['tlsSecretName', 'credentialName', 'https', 'existingGateway', 'gatewaySelector', 'gatewayNamespace', 'traefikNamespace',
    'traefikSelector', 'forwardOriginalToken', 'acceptAnyAudience', 'jwksUri', 'routeTimeout', 'host', 'listenerName', 'ingressClassName'];
  const structProps = props.filter(p => !/^(GatewayApiExistingGatewayOptions\.listenerName|TraefikIngressOptions\.ingressClassName)$/.test(p.where));
  expect(structProps.filter(p => gone.includes(p.name)).map(p => p.where)).toEqual([]);
  for (const cls of ['IstioTls', 'GatewayApiTls', 'TraefikTls', 'IstioJwtOptions', 'EnvoyJwtOptions']) {
    expect(types[`${OWN}${cls}`]).toBeUndefined();
  }
});

test('"namespace" means the namespace of the thing its struct describes, never the gateway pods\' (that is pods.namespace)', () => {
  const where = props.filter(p => p.name === 'namespace').map(p => p.where).sort();
  expect(where).toEqual([
    'BackendFromNameOptions.namespace',
    'GatewayApiExistingGatewayOptions.namespace',
    'IstioExistingGatewayOptions.namespace',
    'MeshIsolatedInferenceServiceProps.namespace',
    'ProxyPods.namespace',
  ]);
});

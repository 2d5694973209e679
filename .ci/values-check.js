// Checks the values files `cdk8s synth` wrote for the example app: each one the charts promise
// is there, parses, and holds what its tool reads. Usage: node .ci/values-check.js <dist>
const fs = require('fs');
const path = require('path');
const YAML = require('yaml');

const dir = path.join(process.argv[2] ?? 'examples/dist', 'values');
const expected = {
  'external-authorization-dex-auth.istiod-values.yaml': v => v.meshConfig.extensionProviders[0].name === 'dex-auth-provider',
  'istio-grpc-ml-api.istio-gateway-values.yaml': v => typeof v.service.annotations['service.beta.kubernetes.io/aws-load-balancer-ssl-cert'] === 'string',
  'kserve-mesh-kserve-local-gateway.kserve-ingress-patch.json': v => v.localGateway === 'istio-system/kserve-local-gateway',
};
const found = fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
let failed = 0;
for (const [name, holds] of Object.entries(expected)) {
  const file = path.join(dir, name);
  let ok = false;
  try {
    const text = fs.readFileSync(file, 'utf8');
    ok = holds(name.endsWith('.json') ? JSON.parse(text) : YAML.parse(text));
  } catch (e) {
    console.error(`${file}: ${e.message}`);
  }
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${file}`);
  failed += ok ? 0 : 1;
}
const extra = found.filter(f => !(f in expected));
if (extra.length > 0) {
  console.error(`values files no chart promised: ${extra.join(', ')}`);
  failed++;
}
process.exit(failed === 0 ? 0 : 1);

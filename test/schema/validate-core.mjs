// Validates Kubernetes core-kind manifests against the Kubernetes OpenAPI schema, strictly.
//
// stdin: a JSON array of manifests. stdout: a JSON array, same order, of string arrays (errors).
//
// Two views of the same upstream OpenAPI document, from two maintained npm packages:
// - kubernetes-models: Ajv validators compiled from the Kubernetes OpenAPI schema; they check
//   types, required fields, enums and formats, but let unknown fields through;
// - @kubernetes/client-node: the official client's generated models, whose `attributeTypeMap`
//   lists every declared field and its type; walking it finds fields the schema does not
//   declare, which the API server's strict field validation rejects.
// A document whose kind neither package knows gets an error, never a pass.
// Runs as a separate ESM process because both packages are ESM-only.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const modelsDir = dirname(require.resolve('kubernetes-models/package.json'));
const clientDir = dirname(require.resolve('@kubernetes/client-node/package.json'));

const classCache = new Map();
async function clientModel(name) {
  if (!classCache.has(name)) {
    let cls;
    try {
      cls = (await import(join(clientDir, 'dist', 'gen', 'models', `${name}.js`)))[name];
    } catch {
      cls = undefined;
    }
    classCache.set(name, cls);
  }
  return classCache.get(name);
}

const PRIMITIVES = new Set(['string', 'number', 'boolean', 'Date', 'V1MicroTime', 'any', 'object', 'IntOrString']);

// Fields the schema does not declare, found by walking the client's attribute type map.
async function unknownFields(value, type, path, errors) {
  if (value === null || value === undefined || PRIMITIVES.has(type)) {
    return;
  }
  const array = /^Array<(.+)>$/.exec(type);
  if (array) {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        await unknownFields(value[i], array[1], `${path}/${i}`, errors);
      }
    }
    return;
  }
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) {
    if (typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) {
        await unknownFields(v, map[1], `${path}/${k}`, errors);
      }
    }
    return;
  }
  const cls = await clientModel(type);
  if (!cls) {
    errors.push(`${path || '/'}: no schema for type ${type}`);
    return;
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    return; // a type error, reported by the Ajv validator
  }
  const attrs = new Map(cls.getAttributeTypeMap().map(a => [a.baseName, a.type]));
  for (const [k, v] of Object.entries(value)) {
    if (!attrs.has(k)) {
      errors.push(`${path || '/'}: unknown field "${k}"`);
    } else {
      await unknownFields(v, attrs.get(k), `${path}/${k}`, errors);
    }
  }
}

async function validate(doc) {
  const apiVersion = String(doc.apiVersion);
  const kind = String(doc.kind);
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  if (!/^[A-Za-z0-9]+$/.test(kind) || !/^v\d+((alpha|beta)\d+)?$/.test(version) || !/^[a-z0-9.-]*$/.test(group)) {
    return [`no schema for ${apiVersion}/${kind}`];
  }
  let Model;
  try {
    Model = (await import(join(modelsDir, group || '', version, `${kind}.js`)))[kind];
  } catch {
    Model = undefined;
  }
  // Only top-level kinds: a sub-type such as apps/v1 DeploymentSpec is not an object kind.
  if (Model && (Model.apiVersion !== apiVersion || Model.kind !== kind)) {
    Model = undefined;
  }
  // The client names clashing kinds after their group (CoreV1Event, EventsV1Event), others not (V1Deployment).
  const ver = `${version[0].toUpperCase()}${version.slice(1)}`;
  const groupPrefix = (group || 'core').split('.')[0].replace(/^./, c => c.toUpperCase());
  let clientName = `${groupPrefix}${ver}${kind}`;
  let cls = await clientModel(clientName);
  if (!cls) {
    clientName = `${ver}${kind}`;
    cls = await clientModel(clientName);
  }
  if (!Model || !cls) {
    return [`no schema for ${apiVersion}/${kind}`];
  }
  const errors = [];
  try {
    new Model(doc).validate();
  } catch (e) {
    for (const err of e.errors ?? [{ instancePath: '', message: String(e.message) }]) {
      const extra = err.keyword === 'enum' ? ` (${err.params.allowedValues.join(', ')})` : '';
      errors.push(`${err.instancePath || '/'}: ${err.message}${extra}`);
    }
  }
  await unknownFields(doc, clientName, '', errors);
  return errors;
}

let input = '';
process.stdin.setEncoding('utf8');
for await (const chunk of process.stdin) {
  input += chunk;
}
const docs = JSON.parse(input);
const out = [];
for (const doc of docs) {
  out.push(await validate(doc));
}
process.stdout.write(JSON.stringify(out));

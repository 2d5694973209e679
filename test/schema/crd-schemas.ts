/**
 * Validates custom resources against the `openAPIV3Schema` of their apiVersion in the upstream
 * CRD files (`CRDS_DIR`, default `imports/crds`), the way the API server does with strict
 * field validation:
 *
 * - a field the schema does not declare is an error (unless the schema node has
 *   `x-kubernetes-preserve-unknown-fields: true` or declares `additionalProperties`);
 * - `x-kubernetes-int-or-string` accepts an integer or a string; `nullable` accepts null;
 * - `x-kubernetes-embedded-resource` objects may carry apiVersion, kind and metadata;
 * - an apiVersion that the CRD does not serve, or a kind no CRD defines, is an error.
 *
 * CEL rules (`x-kubernetes-validations`) are not evaluated.
 */
import * as fs from 'fs';
import * as path from 'path';
import Ajv, { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import * as YAML from 'yaml';

export const CRDS_DIR = path.resolve(__dirname, '..', '..', process.env.CRDS_DIR ?? 'imports/crds');

interface CrdVersion {
  readonly name: string;
  readonly served: boolean;
  readonly schema: any;
}

interface Crd {
  readonly group: string;
  readonly kind: string;
  readonly versions: CrdVersion[];
}

const crdsByGroup = new Map<string, Crd[] | undefined>();
const validators = new Map<string, ValidateFunction>();

/** The CRD file for an API group: `<CRDS_DIR>/<anything>/<group>.yaml`. */
function fileForGroup(group: string): string | undefined {
  if (!fs.existsSync(CRDS_DIR)) {
    throw new Error(`CRD folder ${CRDS_DIR} does not exist: the CRD files belong in imports/crds (CRDS_DIR overrides)`);
  }
  for (const dir of fs.readdirSync(CRDS_DIR).sort()) {
    const candidate = path.join(CRDS_DIR, dir, `${group}.yaml`);
    if (fs.existsSync(candidate)) {
      return candidate;
    }
  }
  return undefined;
}

function crdsOf(group: string): Crd[] | undefined {
  if (!crdsByGroup.has(group)) {
    const file = fileForGroup(group);
    const crds = file === undefined ? undefined : YAML.parseAllDocuments(fs.readFileSync(file, 'utf8'))
      .map(d => d.toJSON())
      .filter(d => d?.kind === 'CustomResourceDefinition' && d.spec?.group === group)
      .map(d => ({
        group,
        kind: d.spec.names.kind,
        versions: d.spec.versions.map((v: any) => ({ name: v.name, served: v.served === true, schema: v.schema?.openAPIV3Schema })),
      }));
    crdsByGroup.set(group, crds);
  }
  return crdsByGroup.get(group);
}

/** True when a CRD file for this API group exists. */
export function hasCrdGroup(group: string): boolean {
  return crdsOf(group) !== undefined;
}

const OBJECT_META_FIELDS = [
  'annotations', 'creationTimestamp', 'deletionGracePeriodSeconds', 'deletionTimestamp', 'finalizers', 'generateName',
  'generation', 'labels', 'managedFields', 'name', 'namespace', 'ownerReferences', 'resourceVersion', 'selfLink', 'uid',
];

/** ObjectMeta as the API server checks it for every object (CRD schemas leave it open). */
const OBJECT_META_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...Object.fromEntries(OBJECT_META_FIELDS.map(f => [f, {}])),
    name: { type: 'string' },
    namespace: { type: 'string' },
    generateName: { type: 'string' },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    annotations: { type: 'object', additionalProperties: { type: 'string' } },
    finalizers: { type: 'array', items: { type: 'string' } },
  },
};

/** Rewrites a Kubernetes structural schema into a strict JSON schema for Ajv. */
export function strictSchema(node: any, isRoot = true): any {
  if (Array.isArray(node)) {
    return node.map(n => strictSchema(n, false));
  }
  if (node === null || typeof node !== 'object') {
    return node;
  }
  const out: any = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'properties' || key === 'patternProperties' || key === 'definitions') {
      out[key] = Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, strictSchema(v, false)]));
    } else if (key.startsWith('x-kubernetes-') || key === 'description' || key === 'default' || key === 'example') {
      continue;
    } else {
      out[key] = strictSchema(value, false);
    }
  }
  if (node['x-kubernetes-int-or-string'] === true) {
    delete out.type;
    out.anyOf = [...(out.anyOf ?? []), { type: 'integer' }, { type: 'string' }];
  }
  if (node['x-kubernetes-embedded-resource'] === true) {
    out.properties = { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, ...(out.properties ?? {}) };
  }
  if (node.nullable === true) {
    delete out.nullable;
    if (typeof out.type === 'string') {
      out.type = [out.type, 'null'];
    }
  } else {
    delete out.nullable;
  }
  const preserve = node['x-kubernetes-preserve-unknown-fields'] === true;
  if (out.type === 'object' && out.additionalProperties === undefined && !preserve) {
    out.additionalProperties = false;
  }
  if (isRoot) {
    // Every object has apiVersion, kind and ObjectMeta, whether or not the CRD lists them.
    out.properties = { ...(out.properties ?? {}), apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: OBJECT_META_SCHEMA };
  }
  return out;
}

function newAjv(): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
  addFormats(ajv);
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  ajv.addFormat('double', { type: 'number', validate: () => true });
  ajv.addFormat('float', { type: 'number', validate: () => true });
  ajv.addFormat('byte', /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/);
  return ajv;
}

let ajv: Ajv | undefined;

/**
 * Errors of one custom resource against its CRD, or `undefined` when no CRD file exists for
 * its API group (the caller decides what a document of an unknown kind means).
 */
export function validateCustomResource(doc: any): string[] | undefined {
  const apiVersion: string = doc?.apiVersion ?? '';
  const slash = apiVersion.indexOf('/');
  if (slash < 0) {
    return undefined;
  }
  const group = apiVersion.slice(0, slash);
  const version = apiVersion.slice(slash + 1);
  const crds = crdsOf(group);
  if (crds === undefined) {
    return undefined;
  }
  const crd = crds.find(c => c.kind === doc.kind);
  if (!crd) {
    return [`no CustomResourceDefinition for kind ${doc.kind} in group ${group} (${crds.map(c => c.kind).join(', ')})`];
  }
  const v = crd.versions.find(x => x.name === version);
  if (!v || !v.served) {
    const served = crd.versions.filter(x => x.served).map(x => x.name);
    return [`${apiVersion} is not a served version of ${crd.kind} (served: ${served.join(', ')})`];
  }
  const key = `${group}/${version}/${crd.kind}`;
  let validate = validators.get(key);
  if (!validate) {
    ajv = ajv ?? newAjv();
    validate = ajv.compile(strictSchema(v.schema));
    validators.set(key, validate);
  }
  if (validate(doc)) {
    return [];
  }
  return (validate.errors ?? []).map(e => {
    const where = e.instancePath || '/';
    if (e.keyword === 'additionalProperties') {
      return `${where}: unknown field "${(e.params as any).additionalProperty}"`;
    }
    return `${where}: ${e.message}${e.keyword === 'enum' ? ` (${(e.params as any).allowedValues.join(', ')})` : ''}`;
  });
}

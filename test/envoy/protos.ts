/**
 * Strict checking of Envoy configuration against Envoy's own v3 protobuf definitions (shipped
 * by @grpc/grpc-js-xds under deps/envoy-api), as Envoy's loader reads JSON/YAML: every field
 * must exist in its message (proto or JSON name), enums by name, every `@type` of a
 * google.protobuf.Any must resolve to a known message and is checked the same way, at most one
 * member of a oneof, durations as "<seconds>s".
 */
import * as fs from 'fs';
import * as path from 'path';
import * as protobuf from 'protobufjs';

const DEPS = path.join(path.dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
const ROOTS = [
  ...['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map(d => path.join(DEPS, d)),
  // google/protobuf/*.proto (descriptor.proto among them)
  path.dirname(require.resolve('protobufjs/package.json')),
];

/** The proto files whose messages Envoy configs here may use (imports are followed). */
const FILES = [
  'envoy/config/bootstrap/v3/bootstrap.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/http/jwt_authn/v3/config.proto',
  'envoy/extensions/filters/http/cors/v3/cors.proto',
  'envoy/extensions/filters/http/grpc_web/v3/grpc_web.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/filters/http/health_check/v3/health_check.proto',
  'envoy/extensions/transport_sockets/tls/v3/tls.proto',
  'envoy/extensions/upstreams/http/v3/http_protocol_options.proto',
  'envoy/extensions/resource_monitors/downstream_connections/v3/downstream_connections.proto',
  'envoy/extensions/resource_monitors/fixed_heap/v3/fixed_heap.proto',
  'envoy/extensions/filters/http/rbac/v3/rbac.proto',
];

let root: protobuf.Root | undefined;

function loadRoot(): protobuf.Root {
  if (!root) {
    const r = new protobuf.Root();
    r.resolvePath = (_origin, target) => {
      if (path.isAbsolute(target)) {
        return target;
      }
      for (const dir of ROOTS) {
        const candidate = path.join(dir, target);
        if (fs.existsSync(candidate)) {
          return candidate;
        }
      }
      return target;
    };
    r.loadSync(FILES, { keepCase: true });
    r.resolveAll();
    root = r;
  }
  return root;
}

const DURATION = /^-?\d+(\.\d{1,9})?s$/;
const WRAPPERS = new Map([
  ['google.protobuf.UInt32Value', 'uint'], ['google.protobuf.UInt64Value', 'uint'], ['google.protobuf.Int32Value', 'int'],
  ['google.protobuf.Int64Value', 'int'], ['google.protobuf.BoolValue', 'bool'], ['google.protobuf.StringValue', 'string'],
  ['google.protobuf.DoubleValue', 'number'], ['google.protobuf.FloatValue', 'number'],
]);

function scalarError(type: string, value: unknown): string | undefined {
  switch (type) {
    case 'string': case 'bytes': return typeof value === 'string' ? undefined : 'a string';
    case 'bool': return typeof value === 'boolean' ? undefined : 'a boolean';
    case 'double': case 'float': return typeof value === 'number' ? undefined : 'a number';
    case 'uint32': case 'uint64': case 'fixed32': case 'fixed64':
      return (Number.isInteger(Number(value)) && Number(value) >= 0 && (typeof value === 'number' || /^\d+$/.test(String(value)))) ? undefined : 'an unsigned integer';
    case 'int32': case 'int64': case 'sint32': case 'sint64': case 'sfixed32': case 'sfixed64':
      return Number.isInteger(Number(value)) && (typeof value === 'number' || /^-?\d+$/.test(String(value))) ? undefined : 'an integer';
    default: return `a known scalar (${type})`;
  }
}

function checkMessage(type: protobuf.Type, value: any, at: string, errors: string[]): void {
  const name = type.fullName.replace(/^\./, '');
  if (name === 'google.protobuf.Any') {
    const url = value?.['@type'];
    if (typeof url !== 'string' || !url.startsWith('type.googleapis.com/')) {
      errors.push(`${at}: Any without a type.googleapis.com/ @type`);
      return;
    }
    let inner: protobuf.Type;
    try {
      inner = loadRoot().lookupType(url.slice('type.googleapis.com/'.length));
    } catch {
      errors.push(`${at}: unknown @type ${url}`);
      return;
    }
    const { ['@type']: _t, ...rest } = value;
    checkMessage(inner, rest, at, errors);
    return;
  }
  if (name === 'google.protobuf.Duration') {
    if (typeof value !== 'string' || !DURATION.test(value)) {
      errors.push(`${at}: a duration must be a string like "5s" (got ${JSON.stringify(value)})`);
    }
    return;
  }
  if (name === 'google.protobuf.Struct' || name === 'google.protobuf.Value' || name === 'google.protobuf.ListValue') {
    return;
  }
  const wrapper = WRAPPERS.get(name);
  if (wrapper) {
    const ok = wrapper === 'bool' ? typeof value === 'boolean' : wrapper === 'string' ? typeof value === 'string' : typeof value === 'number';
    if (!ok) {
      errors.push(`${at}: ${name} must be a plain ${wrapper}`);
    }
    return;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    errors.push(`${at}: ${name} must be an object`);
    return;
  }
  const byName = new Map<string, protobuf.Field>();
  for (const f of type.fieldsArray) {
    byName.set(f.name, f);
    const json = f.name.replace(/_([a-z0-9])/g, (_m, c) => c.toUpperCase());
    byName.set(json, f);
  }
  const oneofSeen = new Map<string, string>();
  for (const [key, v] of Object.entries(value)) {
    const field = byName.get(key);
    const where = `${at}/${key}`;
    if (!field) {
      errors.push(`${where}: no field "${key}" in ${name}`);
      continue;
    }
    if (field.partOf) {
      const other = oneofSeen.get(field.partOf.name);
      if (other) {
        errors.push(`${where}: "${key}" and "${other}" are both set in oneof ${field.partOf.name} of ${name}`);
      }
      oneofSeen.set(field.partOf.name, key);
    }
    checkField(field, v, where, errors);
  }
}

function checkValue(field: protobuf.Field, v: unknown, at: string, errors: string[]): void {
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Type) {
    checkMessage(rt, v, at, errors);
  } else if (rt instanceof protobuf.Enum) {
    if (typeof v !== 'string' || !(v in rt.values)) {
      errors.push(`${at}: ${JSON.stringify(v)} is not a value of enum ${rt.fullName.replace(/^\./, '')} (${Object.keys(rt.values).join(', ')})`);
    }
  } else {
    const err = scalarError(field.type, v);
    if (err) {
      errors.push(`${at}: must be ${err} (got ${JSON.stringify(v)})`);
    }
  }
}

function checkField(field: protobuf.Field, v: unknown, at: string, errors: string[]): void {
  if (field instanceof protobuf.MapField) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      errors.push(`${at}: must be a map`);
      return;
    }
    for (const [k, mv] of Object.entries(v)) {
      checkValue(field, mv, `${at}/${k}`, errors);
    }
  } else if (field.repeated) {
    if (!Array.isArray(v)) {
      errors.push(`${at}: must be a list`);
      return;
    }
    v.forEach((item, i) => checkValue(field, item, `${at}/${i}`, errors));
  } else {
    checkValue(field, v, at, errors);
  }
}

/** Errors of a config against a message type (default: the v3 Bootstrap); empty when valid. */
export function envoyConfigErrors(config: unknown, typeName = 'envoy.config.bootstrap.v3.Bootstrap'): string[] {
  const errors: string[] = [];
  checkMessage(loadRoot().lookupType(typeName), config, '', errors);
  return errors;
}

/**
 * Input checks shared by every construct. Each check throws an `Error` whose message names
 * where the value came from (construct path or factory), the prop, the value given and what
 * is expected:
 *
 *   `IstioGrpcIngress Default/api: invalid hosts[1] "Bad_Host": expected a DNS-1123 subdomain ...`
 *
 * Messages are lowercase after the context and have no trailing period.
 */
import { Chart, Duration } from 'cdk8s';
import { IConstruct } from 'constructs';

/** Where a value came from: a construct (its class and path) or a static factory. */
export type Context = string;

/** The context of a construct: its class name and its path in the construct tree. */
export function contextOf(construct: IConstruct, className: string): Context {
  return `${className} ${construct.node.path || '<root>'}`;
}

/** A value already written for an error message (for example `<redacted>`), shown as is. */
export class Shown {
  constructor(public readonly text: string) {}
}

/** Stands for a secret value in an error message, which must never echo it. */
export const REDACTED = new Shown('<redacted>');

/** Formats a value for an error message: strings are quoted, everything else is JSON. */
export function show(value: unknown): string {
  if (value instanceof Shown) {
    return value.text;
  }
  if (typeof value === 'string') {
    return JSON.stringify(scrub(value));
  }
  if (value === undefined) {
    return 'undefined';
  }
  if (value instanceof Duration) {
    return `${value.toMilliseconds({ integral: false })}ms`;
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.getPrototypeOf(value) !== Object.prototype) {
    // A class instance: its fields are internal. Library classes describe themselves.
    const described = typeof (value as any)._describe === 'function' ? (value as any)._describe() : undefined;
    return typeof described === 'string' ? described : `<${value.constructor?.name ?? 'object'}>`;
  }
  try {
    return scrub(JSON.stringify(value, (key, v) => (SECRET_KEY.test(key) && v !== undefined ? '<redacted>' : v)));
  } catch {
    return '<unprintable>';
  }
}

/** Keys of objects whose values a message never shows. */
const SECRET_KEY = /pass|secret|token|credential|private|salt|^(d|p|q|dp|dq|qi|k|oth)$/i;

/** Hides what a message must never hold: URL userinfo and PEM private keys. */
function scrub(text: string): string {
  return text
    .replace(/([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/?#@\s]*@/g, '$1<redacted>@')
    .replace(/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g, '<redacted private key>');
}

/** Throws the library's standard validation error. */
export function fail(ctx: Context, prop: string, value: unknown, expected: string): never {
  throw new Error(`${ctx}: invalid ${prop} ${show(value)}: expected ${expected}`);
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** True when `value` is an RFC 1123 label (Kubernetes namespaces, most object names' parts). */
export function isDnsLabel(value: string): boolean {
  return value.length <= 63 && DNS1123_LABEL.test(value);
}

/** True when `value` is an RFC 1123 subdomain (Kubernetes object names, DNS names). */
export function isDnsSubdomain(value: string): boolean {
  return value.length > 0 && value.length <= 253 && value.split('.').every(isDnsLabel);
}

/** An RFC 1123 label: lowercase alphanumerics and '-', at most 63 characters (a namespace, a port name). */
export function checkDnsLabel(ctx: Context, prop: string, value: string): string {
  if (typeof value !== 'string' || !isDnsLabel(value)) {
    fail(ctx, prop, value, 'a DNS-1123 label: at most 63 lowercase letters, digits or "-", starting and ending with a letter or digit');
  }
  return value;
}

/** An RFC 1035 label: like a DNS-1123 label but starting with a letter (Service names, KServe names). */
export function checkDns1035Label(ctx: Context, prop: string, value: string): string {
  if (typeof value !== 'string' || value.length > 63 || !DNS1035_LABEL.test(value)) {
    fail(ctx, prop, value, 'a DNS-1035 label: at most 63 lowercase letters, digits or "-", starting with a letter and ending with a letter or digit');
  }
  return value;
}

/** An RFC 1123 subdomain: dot-separated DNS-1123 labels, at most 253 characters (object names). */
export function checkDnsSubdomain(ctx: Context, prop: string, value: string): string {
  if (typeof value !== 'string' || !isDnsSubdomain(value)) {
    fail(ctx, prop, value, 'a DNS-1123 subdomain: dot-separated lowercase labels of letters, digits or "-", at most 253 characters');
  }
  return value;
}

/** Options for `checkHostname`. */
export interface HostnameOptions {
  /** Accept a leading `*.` wildcard label (`*.example.com`). */
  readonly wildcard?: boolean;
}

/**
 * A fully qualified host name such as `api.example.com` (at least two labels), optionally a
 * `*.` wildcard. Upper case is refused rather than folded, so that the manifest says what
 * the user wrote.
 */
export function checkHostname(ctx: Context, prop: string, value: string, options: HostnameOptions = {}): string {
  const expected = options.wildcard
    ? 'a fully qualified DNS name such as "api.example.com" or a wildcard such as "*.example.com" (lowercase)'
    : 'a fully qualified DNS name such as "api.example.com" (lowercase, no wildcard)';
  if (typeof value !== 'string') {
    fail(ctx, prop, value, expected);
  }
  const name = options.wildcard && value.startsWith('*.') ? value.slice(2) : value;
  if (!isDnsSubdomain(name) || !name.includes('.')) {
    fail(ctx, prop, value, expected);
  }
  // A top-level domain is never all digits: such a name is an IP address (which routes and
  // certificates do not match as a host) or a typo.
  if (/^\d+$/.test(name.slice(name.lastIndexOf('.') + 1))) {
    fail(ctx, prop, value, `${expected}; not an IP address, and the last label not all digits`);
  }
  return value;
}

/** A list of host names: non-empty, each valid, no duplicates. */
export function checkHostnames(ctx: Context, prop: string, values: string[], options: HostnameOptions = {}): string[] {
  if (!Array.isArray(values) || values.length === 0) {
    fail(ctx, prop, values, 'at least one host name');
  }
  const seen = new Set<string>();
  values.forEach((h, i) => {
    checkHostname(ctx, `${prop}[${i}]`, h, options);
    if (seen.has(h)) {
      fail(ctx, `${prop}[${i}]`, h, 'each host once (it is listed twice)');
    }
    seen.add(h);
  });
  return [...values];
}

/** True for a Service port name (IANA_SVC_NAME): at most 15 lowercase letters, digits or '-', at least one letter, no '--'. */
export function isPortName(value: string): boolean {
  return typeof value === 'string' && value.length <= 15 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(value) && /[a-z]/.test(value) && !value.includes('--');
}

/** A Service port name (see `isPortName`). */
export function checkPortName(ctx: Context, prop: string, value: string): string {
  if (!isPortName(value)) {
    fail(ctx, prop, value, 'a port name of at most 15 lowercase letters, digits or "-", with at least one letter and no "--" (such as "grpc")');
  }
  return value;
}

/** A TCP/UDP port number: an integer from 1 to 65535. */
export function checkPort(ctx: Context, prop: string, value: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) {
    fail(ctx, prop, value, 'a port number, an integer from 1 to 65535');
  }
  return value;
}

/** An integer in a closed range. */
export function checkInteger(ctx: Context, prop: string, value: number, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(ctx, prop, value, `an integer from ${min} to ${max}`);
  }
  return value;
}

/** A non-empty string (after trimming). */
export function checkNonEmpty(ctx: Context, prop: string, value: string): string {
  if (typeof value !== 'string' || value.trim().length === 0) {
    fail(ctx, prop, value, 'a non-empty string');
  }
  return value;
}

/** Options for `checkDuration`. */
export interface DurationOptions {
  /** Smallest accepted duration. @default 1 millisecond */
  readonly min?: Duration;
  /** Largest accepted duration. @default no limit */
  readonly max?: Duration;
  /** Only whole seconds (for output that holds seconds). @default false */
  readonly wholeSeconds?: boolean;
}

/**
 * A positive duration in whole milliseconds (the precision Istio and Envoy accept),
 * within `min`..`max`.
 */
export function checkDuration(ctx: Context, prop: string, value: Duration, options: DurationOptions = {}): Duration {
  if (!(value instanceof Duration)) {
    fail(ctx, prop, value, 'a Duration, for example Duration.seconds(30)');
  }
  const ms = value.toMilliseconds({ integral: false });
  const min = options.min?.toMilliseconds() ?? 1;
  const max = options.max?.toMilliseconds();
  if (!Number.isInteger(ms)) {
    fail(ctx, prop, value, 'a duration in whole milliseconds');
  }
  if (options.wholeSeconds && ms % 1000 !== 0) {
    fail(ctx, prop, value, 'a duration in whole seconds, such as Duration.seconds(2) (this setting is written in seconds)');
  }
  if (ms < min || (max !== undefined && ms > max)) {
    const range = max === undefined ? `at least ${min}ms` : `from ${min}ms to ${max}ms`;
    fail(ctx, prop, value, `a duration ${range}`);
  }
  return value;
}

/**
 * A duration in the protobuf JSON form that Istio and Envoy read: seconds with up to three
 * decimals and an `s` suffix (`30s`, `0.25s`).
 */
export function protoDuration(value: Duration): string {
  const ms = value.toMilliseconds();
  const seconds = Math.floor(ms / 1000);
  const rest = ms % 1000;
  return rest === 0 ? `${seconds}s` : `${seconds}.${String(rest).padStart(3, '0').replace(/0+$/, '')}s`;
}

/** A boolean (JavaScript users can pass the string "false", which is truthy). */
export function checkBoolean(ctx: Context, prop: string, value: boolean): boolean {
  if (typeof value !== 'boolean') {
    fail(ctx, prop, value, 'true or false (a boolean)');
  }
  return value;
}

/** Compares strings by UTF-16 code units: the same order in every locale. */
export function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/** Kubernetes labels (at least one), as a map sorted by key. */
export function checkLabels(ctx: Context, prop: string, labels: { [key: string]: string },
  expected = 'at least one pod label, such as { app: "name" }'): { [key: string]: string } {
  const entries = labels !== null && typeof labels === 'object' && !Array.isArray(labels) ? Object.entries(labels) : [];
  if (entries.length === 0) {
    fail(ctx, prop, labels, expected);
  }
  for (const [k, v] of entries) {
    // A key is an optional DNS-subdomain prefix (at most 253 characters) and a name of at most 63.
    const slash = k.lastIndexOf('/');
    const keyFits = (slash < 0 ? k : k.slice(slash + 1)).length <= 63 && slash <= 253;
    if (!LABEL_KEY.test(k) || !keyFits || typeof v !== 'string' || !LABEL_VALUE.test(v) || v.length > 63) {
      fail(ctx, `${prop}.${k}`, v, 'a Kubernetes label key and value');
    }
  }
  return Object.fromEntries(entries.sort(([a], [b]) => byCodeUnits(a, b)));
}

/** Kubernetes annotations (none or more), as a map sorted by key; values of at most 4096 characters here. */
export function checkAnnotations(ctx: Context, prop: string, annotations: { [key: string]: string }): { [key: string]: string } {
  const entries = Object.entries(annotations);
  for (const [k, v] of entries) {
    const slash = k.lastIndexOf('/');
    if (!LABEL_KEY.test(k) || (slash < 0 ? k : k.slice(slash + 1)).length > 63 || slash > 253) {
      fail(ctx, `${prop}.${k}`, v, 'an annotation key: an optional DNS prefix and "/", then at most 63 letters, digits, "-", "_" or "."');
    }
    if (v.length > 4096) {
      fail(ctx, `${prop}.${k}`, new Shown(`<${v.length} characters>`), 'a value of at most 4096 characters');
    }
  }
  return Object.fromEntries(entries.sort(([a], [b]) => byCodeUnits(a, b)));
}

/** A list (an array: a single string is refused, not taken for a list of characters). */
export function checkList<T>(ctx: Context, prop: string, value: T[]): T[] {
  if (!Array.isArray(value)) {
    fail(ctx, prop, value, 'a list');
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// Shapes: every public prop and factory argument is checked against the type the API declares.
//
// The types come from the library's own jsii assembly (`.jsii`, written by the compiler next to
// `lib/` and shipped in the package), so the check follows the TypeScript declarations and
// cannot drift from them. JavaScript callers (and jsii languages through `any`) can pass
// anything; this turns every wrong shape into the standard message, before any semantic check
// reads the value.
// ---------------------------------------------------------------------------------------------

/** A jsii type reference (the subset this library's API uses). */
interface TypeRef {
  readonly primitive?: 'string' | 'number' | 'boolean' | 'any' | 'json' | 'date';
  readonly fqn?: string;
  readonly collection?: { readonly kind: 'array' | 'map'; readonly elementtype: TypeRef };
  readonly union?: { readonly types: TypeRef[] };
}

interface Parameter { readonly name: string; readonly optional?: boolean; readonly type: TypeRef; readonly variadic?: boolean }
interface Member {
  readonly name: string;
  readonly static?: boolean;
  readonly optional?: boolean;
  readonly type?: TypeRef;
  readonly parameters?: Parameter[];
  readonly returns?: { readonly type: TypeRef };
}
interface TypeSpec {
  readonly kind: 'class' | 'interface' | 'enum';
  readonly name: string;
  readonly datatype?: boolean;
  readonly properties?: Member[];
  readonly methods?: Member[];
  readonly members?: { readonly name: string }[];
  readonly initializer?: { readonly parameters?: Parameter[] };
  readonly interfaces?: string[];
}

const OWN = 'cdk8s-secure-serving.';
/** Prop names whose values are never shown in a message. */
const SECRET_PROPS = new Set(['password', 'salt', 'hash', 'credentials']);

let assembly: { readonly [fqn: string]: TypeSpec } | undefined;
function types(): { readonly [fqn: string]: TypeSpec } {
  if (assembly === undefined) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { existsSync, readFileSync } = require('fs');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const path = require('path');
    // The assembly is at the package root: `src/..` when run from source, `lib/src/../..` compiled.
    const candidates = [path.join(__dirname, '..', '.jsii'), path.join(__dirname, '..', '..', '.jsii')];
    const file = candidates.find(f => existsSync(f)) ?? candidates[0];
    try {
      assembly = JSON.parse(readFileSync(file, 'utf8')).types;
    } catch (e) {
      throw new Error(`cdk8s-secure-serving: cannot read its type assembly ${file} (build the library first: npx projen compile): ${(e as Error).message}`);
    }
  }
  return assembly!;
}

/** The library's exports, for instanceof and enum checks (loaded after every module). */
function exported(name: string): any {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('./index')[name];
}

function typeOf(fqn: string): TypeSpec {
  const t = types()[fqn];
  if (t === undefined) {
    throw new Error(`cdk8s-secure-serving: ${fqn} is not in the type assembly (rebuild: npx projen compile)`);
  }
  return t;
}

/**
 * A value as a message may show it when its shape is wrong: no secret, no internal field, and
 * a string only where a plain value was expected (a string given for a credentials object or
 * a user may well be "user:password").
 */
function shape(value: unknown, secret: boolean, ref?: TypeRef): Shown {
  const stringExpected = ref === undefined || ref.primitive !== undefined || ref.collection?.elementtype.primitive !== undefined
    || (ref.fqn !== undefined && ref.fqn.startsWith(OWN) && typeOf(ref.fqn).kind === 'enum');
  if (typeof value === 'string' && !stringExpected && !secret) {
    return new Shown(`<a string of ${value.length} characters>`);
  }
  if (value === null) {
    return new Shown('null');
  }
  if (Array.isArray(value)) {
    return new Shown(`[a list of ${value.length}]`);
  }
  if (secret && value !== undefined) {
    return REDACTED;
  }
  if (typeof value === 'string') {
    return new Shown(show(value.length > 120 ? `${value.slice(0, 120)}…` : value));
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return new Shown('{an object}');
  }
  return new Shown(show(value));
}

/** What a type expects, in words. */
function describe(ref: TypeRef): string {
  if (ref.primitive !== undefined) {
    return { string: 'a string', number: 'a number', boolean: 'true or false (a boolean)', any: 'any value', json: 'a JSON object', date: 'a Date' }[ref.primitive];
  }
  if (ref.collection !== undefined) {
    const element = describe(ref.collection.elementtype);
    return ref.collection.kind === 'array' ? `a list, each item ${element}` : `a map of names to values, each value ${element}`;
  }
  if (ref.fqn === 'cdk8s.Duration') {
    return 'a Duration, for example Duration.seconds(30)';
  }
  if (ref.fqn === 'cdk8s-plus-27.Service') {
    return 'a cdk8s-plus Service';
  }
  if (ref.fqn === undefined || !ref.fqn.startsWith(OWN)) {
    return `an object (${ref.fqn ?? 'unknown type'})`;
  }
  const t = typeOf(ref.fqn);
  if (t.kind === 'enum') {
    const values = exported(t.name) ?? {};
    return `one of ${(t.members ?? []).map(m => `${t.name}.${m.name} (${show(values[m.name])})`).join(', ')}`;
  }
  if (t.kind === 'class') {
    const makers = [
      ...(t.properties ?? []).filter(p => p.static && p.type?.fqn === ref.fqn).map(p => `${t.name}.${p.name}`),
      ...(t.methods ?? []).filter(m => m.static && m.returns?.type.fqn === ref.fqn).map(m => `${t.name}.${m.name}()`),
    ];
    return makers.length > 0 ? `a ${t.name}, from ${makers.join(', ')}` : `a ${t.name}`;
  }
  const required = (t.properties ?? []).filter(p => !p.optional).map(p => p.name);
  return `an object with the ${t.name} props${required.length > 0 ? ` (${required.join(', ')} required)` : ''}`;
}

/** `a.b`, or `b` at the top of a props object (whose path is empty). */
function join(prop: string, name: string): string {
  return prop === '' ? name : `${prop}.${name}`;
}

function isPlainObject(value: unknown): value is { [key: string]: unknown } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return false;
  }
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Why a required prop is required, where the type alone does not say it. */
const WHY_REQUIRED: { [prop: string]: string } = {
  'JwtIssuer.audiences': 'the audiences (aud claim) tokens must be for; without them every token of the issuer is accepted, such as every ' +
    'pod\'s service-account token of a cluster issuer (JwtAudiences.acceptAny() if that is intended)',
  'EnvoyJwtProxyProps.tls': 'here TlsTermination.atProxy(certificate): the proxy terminates TLS',
  'TraefikBasicAuthIngressProps.tls': 'here TlsTermination.atProxy(certificate), or the explicit TlsTermination.insecurePlainHttp(): ' +
    'basic auth sends the password with every request',
  'IstioGatewayOptions.tls': 'here TlsTermination.atLoadBalancer(), TlsTermination.atProxy(certificate) or TlsTermination.mutualAtProxy(certificate)',
  'GatewayApiGatewayOptions.tls': 'here TlsTermination.atLoadBalancer() or TlsTermination.atProxy(certificate)',
};

/** All props of a struct, inherited ones included. */
function structProps(t: TypeSpec): Member[] {
  return [...(t.properties ?? []), ...(t.interfaces ?? []).flatMap(i => structProps(typeOf(i)))];
}

/**
 * Checks `value` against the declared type and returns it with `null` optional props removed
 * (jsii treats `null` and `undefined` alike). Lists and records are copied.
 */
function conform(ctx: Context, prop: string, value: unknown, ref: TypeRef, secret: boolean): any {
  const wrong = (): never => fail(ctx, prop, shape(value, secret, ref), describe(ref));
  if (ref.primitive !== undefined) {
    switch (ref.primitive) {
      case 'string':
        return typeof value === 'string' ? value : wrong();
      case 'boolean':
        return typeof value === 'boolean' ? value : wrong();
      case 'number':
        if (typeof value !== 'number') {
          wrong();
        }
        if (!Number.isFinite(value)) {
          fail(ctx, prop, shape(value, secret), 'a finite number');
        }
        return value;
      default:
        return value;
    }
  }
  if (ref.collection !== undefined) {
    const element = ref.collection.elementtype;
    if (ref.collection.kind === 'array') {
      if (!Array.isArray(value)) {
        wrong();
      }
      // Array.from reads holes as undefined: a sparse list is refused at its hole, not copied with it.
      return Array.from(value as unknown[], (v, i) => {
        if (v === undefined || v === null) {
          fail(ctx, `${prop}[${i}]`, shape(v, false), `${describe(element)} (lists have no empty items)`);
        }
        return conform(ctx, `${prop}[${i}]`, v, element, secret);
      });
    }
    if (!isPlainObject(value)) {
      wrong();
    }
    return Object.fromEntries(Object.entries(value as object).map(([k, v]) =>
      [k, conform(ctx, /^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? join(prop, k) : `${prop}[${JSON.stringify(k)}]`, v, element, secret)]));
  }
  const fqn = ref.fqn ?? '';
  if (fqn === 'cdk8s.Duration') {
    return value instanceof Duration ? value : wrong();
  }
  if (!fqn.startsWith(OWN)) {
    // Types of other assemblies (cdk8s-plus): their own checks apply; a struct must be an object.
    return value !== null && typeof value === 'object' ? value : wrong();
  }
  const t = typeOf(fqn);
  if (t.kind === 'enum') {
    // The declared members only: entries added to the exported object at run time do not count.
    const e = exported(t.name) ?? {};
    return (t.members ?? []).some(m => e[m.name] === value) ? value : wrong();
  }
  if (t.kind === 'class') {
    const cls = exported(t.name);
    // Made by the class's factories: an object from Object.create(Class.prototype) passes
    // instanceof but holds none of what the factories check.
    return cls !== undefined && value instanceof cls && genuine.has(value as object) ? value : wrong();
  }
  if (!t.datatype) {
    return value !== null && typeof value === 'object' ? value : wrong();
  }
  if (!isPlainObject(value)) {
    wrong();
  }
  const given = value as { [key: string]: unknown };
  const props = structProps(t);
  const names = new Set(props.map(p => p.name));
  for (const key of Object.keys(given).sort(byCodeUnits)) {
    if (!names.has(key)) {
      fail(ctx, join(prop, key), new Shown('(not shown)'),
        `one of the ${t.name} props: ${[...names].sort(byCodeUnits).join(', ')} (it has no "${key}")`);
    }
  }
  const out: { [key: string]: unknown } = {};
  for (const p of props) {
    const v = given[p.name];
    const path = join(prop, p.name);
    if (v === undefined || v === null) {
      if (!p.optional) {
        const why = WHY_REQUIRED[`${t.name}.${p.name}`];
        fail(ctx, path, shape(v, false), `${describe(p.type!)} (required${why === undefined ? '' : `: ${why}`})`);
      }
      continue;
    }
    out[p.name] = conform(ctx, path, v, p.type!, secret || SECRET_PROPS.has(p.name));
  }
  return out;
}

function checkParameters(ctx: Context, params: Parameter[], args: unknown[]): any[] {
  return params.map((p, i) => {
    const v = args[i];
    if (v === undefined || v === null) {
      if (!p.optional) {
        fail(ctx, p.name, shape(v, false), `${describe(p.type)} (required)`);
      }
      return undefined;
    }
    return conform(ctx, p.name, v, p.type, SECRET_PROPS.has(p.name));
  });
}

/**
 * Checks a construct's props against its declared props type and returns them with `null`s
 * of optional props removed. Props that are all optional may be omitted.
 *
 * @param ctx the construct's context
 * @param className the construct's class, as exported
 * @param props what the caller passed
 */
export function checkProps<T>(ctx: Context, className: string, props: T): T {
  const params = typeOf(`${OWN}${className}`).initializer?.parameters ?? [];
  const param = params.find(p => p.name === 'props');
  if (param === undefined) {
    throw new Error(`cdk8s-secure-serving: ${className} has no props in its type assembly`);
  }
  if (props === undefined || props === null) {
    if (!param.optional) {
      fail(ctx, 'props', shape(props, false), `${describe(param.type)} (required)`);
    }
    return {} as T;
  }
  if (!isPlainObject(props)) {
    fail(ctx, 'props', shape(props, false), describe(param.type));
  }
  return conform(ctx, '', props, param.type, false) as T;
}

/**
 * Checks a static factory's arguments against its declared parameters; returns them with
 * `null` optional arguments as `undefined` and options objects copied without `null`s.
 *
 * @param ctx the factory's context, such as `Backend.fromName`
 * @param className the class, as exported
 * @param method the static method
 * @param args the arguments, in order
 */
export function checkArgs(ctx: Context, className: string, method: string, args: unknown[]): any[] {
  const m = (typeOf(`${OWN}${className}`).methods ?? []).find(x => x.name === method);
  if (m === undefined) {
    throw new Error(`cdk8s-secure-serving: ${className}.${method} is not in the type assembly`);
  }
  return checkParameters(ctx, m.parameters ?? [], args);
}

/**
 * Takes a construct that refused its props out of the tree, so that its id can be used again:
 * a refused construct leaves nothing behind.
 */
export function abandon(construct: IConstruct): void {
  construct.node.scope?.node.tryRemoveChild(construct.node.id);
}

/**
 * A basic-auth user name: not empty, at most 256 characters, no ':' (the separator of
 * `user:password` and of htpasswd lines) and no control characters. A name with ':' is
 * likely a pasted `user:password` line: the part after the ':' is not shown.
 */
export function checkUsername(ctx: Context, prop: string, value: string, note = ''): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 256 || /[:\u0000-\u001f\u007f]/.test(value)) {
    const shown = typeof value === 'string' && value.includes(':') ? new Shown(show(`${value.slice(0, value.indexOf(':'))}:<redacted>`)) : value;
    fail(ctx, prop, shown, `a user name of 1 to 256 characters without ":" or control characters${note}`);
  }
  return value;
}

/**
 * A JWT issuer (the `iss` claim tokens must carry): a URL or a name, at most 2048 characters,
 * without spaces or control characters (a token's `iss` never has them, so such an issuer
 * would refuse every token or betray a pasted value).
 */
export function checkIssuer(ctx: Context, prop: string, value: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048 || /[\s\u0000-\u001f\u007f]/.test(value)) {
    fail(ctx, prop, value, 'an issuer such as "https://issuer.example.com": 1 to 2048 characters, no spaces or control characters');
  }
  return value;
}

/** Hosts a proxy must not be told to fetch from: the node itself, link-local addresses, cloud metadata. */
const LOCAL_HOSTS = new Set(['localhost', 'metadata', 'metadata.google.internal', 'metadata.goog', 'instance-data', '[::]', '[::1]', '[fd00:ec2::254]']);

/** True for a host (as `URL.hostname` writes it) that is loopback, unspecified, link-local or a metadata service. */
function isLocalOrMetadataHost(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  if (LOCAL_HOSTS.has(h) || h.endsWith('.localhost')) {
    return true;
  }
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(h) ?? /^\[::ffff:(\d+)\.(\d+)\.(\d+)\.(\d+)\]$/.exec(h);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    return a === 127 || a === 0 || (a === 169 && b === 254) || h.includes('100.100.100.200');
  }
  // IPv6 loopback, link-local (fe80::/10) and IPv4-mapped forms that URL writes in hex.
  return /^\[(fe[89ab][0-9a-f]?:|::ffff:(7f|a9fe|0:|0\]))/.test(h);
}

/**
 * A URL that a proxy fetches (such as a JWKS): https, a host that is neither loopback,
 * link-local nor a cloud metadata service (a proxy told to fetch those reads the node's own
 * services), and no user name or password in it (they would sit in the manifest; the message
 * does not show them).
 */
export function checkFetchUrl(ctx: Context, prop: string, value: string, example: string): URL {
  let url: URL | undefined;
  try {
    // URL() drops surrounding spaces; the proxy would not.
    url = /\s/.test(value) ? undefined : new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || url.protocol !== 'https:' || !url.hostname) {
    fail(ctx, prop, value, `an https:// URL, such as "${example}"`);
  }
  if (url.username || url.password) {
    fail(ctx, prop, `https://<redacted>@${url.host}${url.pathname}`, 'a URL without a user name or password: they would be written into the manifest');
  }
  if (isLocalOrMetadataHost(url.hostname)) {
    fail(ctx, prop, value, 'a URL whose host is not loopback, link-local or a cloud metadata service: the proxy would fetch from the node it runs on');
  }
  return url;
}

const QUANTITY = /^\+?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;
const SUFFIX: { [suffix: string]: number } = {
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** True when `value` is a Kubernetes quantity (`500m`, `2`, `4Gi`, `1e3`). */
export function isQuantity(value: string): boolean {
  return typeof value === 'string' && QUANTITY.test(value);
}

/** The number a Kubernetes quantity stands for (`500m` is 0.5, `1Ki` is 1024). */
export function quantityValue(value: string): number {
  const m = QUANTITY.exec(value);
  if (!m) {
    return NaN;
  }
  const suffix = m[3] ?? '';
  const base = Number(m[1]);
  return /^[eE]/.test(suffix) ? Number(`${m[1]}${suffix}`) : base * (SUFFIX[suffix] ?? 1);
}

/**
 * A request must not exceed its limit: Kubernetes refuses such a Pod ("must be less than or
 * equal to ... limit"), so the manifest would apply but no Pod would start.
 */
export function checkRequestWithinLimit(ctx: Context,
  requestProp: string, request: string | undefined, limitProp: string, limit: string | undefined): void {
  if (request !== undefined && limit !== undefined && quantityValue(request) > quantityValue(limit)) {
    fail(ctx, requestProp, request, `at most ${limitProp} (${JSON.stringify(limit)}): Kubernetes refuses a Pod whose request exceeds its limit`);
  }
}

/** The value objects the library's classes made (see `made`). */
const genuine = new WeakSet<object>();

/** Records an object as made by its class's own constructor (every value class calls it). */
export function made(instance: object): void {
  genuine.add(instance);
}

/**
 * What each claim of an app is held by, kept on the app (the construct tree's root) under a
 * registered symbol: two copies of this library loaded in one process see the same claims, and
 * nothing outlives the app.
 */
const CLAIMS = Symbol.for('cdk8s-secure-serving.claims');

function claimsOf(construct: IConstruct): Map<string, IConstruct> {
  const root = construct.node.root as IConstruct & { [CLAIMS]?: Map<string, IConstruct> };
  if (root[CLAIMS] === undefined) {
    Object.defineProperty(root, CLAIMS, { value: new Map<string, IConstruct>(), enumerable: false });
  }
  return root[CLAIMS]!;
}

/** True while `construct` is still in its tree (a refused construct is taken out). */
export function attached(construct: IConstruct): boolean {
  for (let c: IConstruct = construct; c.node.scope !== undefined; c = c.node.scope) {
    if (c.node.scope.node.tryFindChild(c.node.id) !== c) {
      return false;
    }
  }
  return true;
}

/**
 * Claims `key` (such as a host and path, or a namespace) in `construct`'s app; returns the
 * path of the construct that holds it already, if any. A claim of a construct that was taken
 * out of the tree no longer counts.
 */
export function claim(construct: IConstruct, key: string): string | undefined {
  const held = claimsOf(construct);
  const other = held.get(key);
  if (other !== undefined && other !== construct && attached(other)) {
    return other.node.path;
  }
  held.set(key, construct);
  return undefined;
}

/** Refuses a second object of the same kind, namespace and name in one app. */
export function claimName(construct: IConstruct, ctx: string, prop: string, object: string, value: unknown): void {
  const other = claim(construct, object);
  if (other !== undefined) {
    fail(ctx, prop, value, `a value that does not write the ${object} that ${other} writes already (one per app)`);
  }
}

/**
 * The namespace of the chart a construct is in. Never a silent `default`: without a chart
 * namespace the construct refuses, and says why it needs one.
 */
export function chartNamespace(ctx: Context, construct: IConstruct, why: string): string {
  const namespace = Chart.of(construct).namespace;
  if (namespace === undefined) {
    fail(ctx, 'namespace', undefined, `a namespace on the chart (new Chart(app, id, { namespace })): ${why}`);
  }
  return checkDnsLabel(ctx, 'namespace', namespace);
}

/** The path of the construct (still in the tree) that holds `key` in `construct`'s app, if any. */
export function heldBy(construct: IConstruct, key: string): string | undefined {
  const other = claimsOf(construct).get(key);
  return other !== undefined && other !== construct && attached(other) ? other.node.path : undefined;
}

/**
 * Claims each host with a path prefix for one front door of the app: two front doors for the
 * same host and path would leave the choice between their authentication to the proxy (Istio
 * merges or drops routes, Traefik picks by priority), across charts as much as within one.
 */
export function claimFrontDoor(construct: IConstruct, ctx: Context, prop: string, hosts: string | string[], path: string): void {
  const list = Array.isArray(hosts) ? hosts.map((h, i) => [`${prop}[${i}]`, h]) : [[prop, hosts]];
  for (const [at, host] of list) {
    const other = claim(construct, `front door ${host} ${path}`);
    if (other !== undefined) {
      fail(ctx, at, host, `a host that no other front door of the app serves at path "${path}": ${other} does`);
    }
  }
}

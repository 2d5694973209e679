/**
 * Machinery of the property-based tests (test/property/*.test.ts).
 *
 * - Specs: arbitraries generate plain data; values that need a chart (a Backend from a cdk8s-plus
 *   Service) are `Make` tokens, built per app by `materialize`, so that one spec can be
 *   synthesized in several fresh apps and printed readably by fast-check.
 * - Valid runs: every spec is synthesized in two fresh apps (byte-identical YAML), custom
 *   resources are validated inline, core kinds are batched into one `validateDocuments` call.
 * - Invalid runs: a valid spec with one prop replaced (`Mutation`), which must be refused with
 *   the library's standard error naming that prop; the same id then takes a valid construct.
 *
 * Every `fc.assert` has a fixed seed: a failure prints the seed and the path that reproduce it.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ApiObject, App, Chart, Testing, Yaml } from 'cdk8s';
import { Construct } from 'constructs';
import * as fc from 'fast-check';
import * as YAML from 'yaml';
import { formatErrors, validateDocuments } from '../schema';
import { hasCrdGroup } from '../schema/crd-schemas';

/** One output folder for every app (Testing.app() would create a temporary folder per app). */
const OUTDIR = path.join(os.tmpdir(), 'cdk8s-secure-serving-property');

/** The chart namespace of every run. */
export const NAMESPACE = 'ml';

/** A fresh app with one chart `c` in namespace `ml`. */
export function newApp(): { app: App; chart: Chart } {
  const app = Testing.app({ outdir: OUTDIR });
  return { app, chart: new Chart(app, 'c', { namespace: NAMESPACE }) };
}

// ---------------------------------------------------------------------------------------------
// Specs
// ---------------------------------------------------------------------------------------------

/** A value built per app (from the chart and a tag that keeps construct ids apart). */
export class Make<T = unknown> {
  constructor(public readonly label: string, public readonly build: (chart: Chart, tag: string) => T) {}
  public [fc.toStringMethod](): string {
    return this.label;
  }
}

/** A value shared by every app (a JsonWebKeySet, an IstioTls), printed as `label`. */
export function shared<T>(label: string, value: T): Make<T> {
  return new Make(label, () => value);
}

function isPlain(value: unknown): value is { [key: string]: unknown } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return false;
  }
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The spec with every `Make` built in `chart`; plain objects and lists are copied (prototype kept). */
export function materialize(value: any, chart: Chart, tag: string): any {
  if (value instanceof Make) {
    return value.build(chart, tag);
  }
  if (Array.isArray(value)) {
    return value.map(v => materialize(v, chart, tag));
  }
  if (isPlain(value)) {
    const out = Object.create(Object.getPrototypeOf(value));
    for (const [k, v] of Object.entries(value)) {
      out[k] = materialize(v, chart, tag);
    }
    return out;
  }
  return value;
}

/** Records with some keys left out (absent, not `undefined`), as users write props. */
export function props(required: { [k: string]: fc.Arbitrary<unknown> }, optional: { [k: string]: fc.Arbitrary<unknown> }): fc.Arbitrary<any> {
  return fc.record({ ...required, ...optional }, { requiredKeys: Object.keys(required) });
}

// ---------------------------------------------------------------------------------------------
// Mutations
// ---------------------------------------------------------------------------------------------

/** Takes a prop out (for a required prop: `undefined`). */
export const DELETE = Symbol('delete');

/**
 * One prop replaced: `path` is a props path (`hosts[0]`, `retries.attempts`, or `props` for the
 * whole object); the error must name `expect` (default: `path`) or a prop under it.
 */
export interface Mutation {
  readonly path: string;
  readonly value: unknown;
  readonly expect?: string;
}

export function mutation(p: string, value: unknown, expect?: string): Mutation {
  return { path: p, value, ...(expect === undefined ? {} : { expect }) };
}

/** The mutations of a spec: wrong shapes (from the declared types) and the semantic ones. */
export function mutationsOf<S>(shapes: (spec: S) => Mutation[], semantic: (spec: S) => Mutation[]): (spec: S) => fc.Arbitrary<Mutation> {
  return spec => fc.oneof(fc.constantFrom(...shapes(spec)), fc.constantFrom(...semantic(spec)));
}

function segments(p: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const m of p.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    out.push(m[2] !== undefined ? Number(m[2]) : m[1]);
  }
  return out;
}

function setIn(target: any, segs: (string | number)[], value: unknown): any {
  if (segs.length === 0) {
    return value;
  }
  const [head, ...rest] = segs;
  let copy: any;
  if (Array.isArray(target)) {
    copy = [...target];
  } else if (target !== null && typeof target === 'object') {
    copy = Object.assign(Object.create(Object.getPrototypeOf(target)), target);
  } else {
    copy = typeof head === 'number' ? [] : {};
  }
  const next = setIn(copy[head], rest, value);
  if (next === DELETE) {
    delete copy[head];
  } else {
    copy[head] = next;
  }
  return copy;
}

/** `props` with the mutation applied (a copy; `props` itself is unchanged). */
export function applyMutation(root: any, m: Mutation, chart: Chart, tag: string): any {
  const value = materialize(m.value, chart, tag);
  if (m.path === 'props') {
    return value === DELETE ? undefined : value;
  }
  return setIn(root, segments(m.path), value);
}

// ---------------------------------------------------------------------------------------------
// Wrong shapes from the declared types (the library's .jsii assembly)
// ---------------------------------------------------------------------------------------------

interface TypeRef {
  readonly primitive?: string;
  readonly fqn?: string;
  readonly collection?: { readonly kind: 'array' | 'map'; readonly elementtype: TypeRef };
}
interface Prop { readonly name: string; readonly optional?: boolean; readonly type: TypeRef }

let assembly: any;
function typeSpec(fqn: string): any {
  assembly = assembly ?? JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '.jsii'), 'utf8')).types;
  const t = assembly[fqn];
  if (t === undefined) {
    throw new Error(`${fqn} is not in .jsii (run npx projen compile)`);
  }
  return t;
}

const OWN = 'cdk8s-secure-serving.';

/** The props of a struct, inherited ones included. */
export function structProps(fqn: string): Prop[] {
  const t = typeSpec(fqn);
  return [...(t.properties ?? []), ...(t.interfaces ?? []).flatMap((i: string) => structProps(i))];
}

/** The parameters of a constructor (`method` undefined) or method. */
export function parameters(className: string, method?: string): Prop[] {
  const t = typeSpec(`${OWN}${className}`);
  const m = method === undefined ? t.initializer : (t.methods ?? []).find((x: any) => x.name === method);
  return m?.parameters ?? [];
}

/** Instances of the library's classes, as wrong values for a prop of another class. */
let foreignInstances: { fqn: string; value: Make }[] | undefined;
export function setForeignInstances(list: { fqn: string; value: Make }[]): void {
  foreignInstances = list;
}

function wrongValues(ref: TypeRef, current: unknown): unknown[] {
  if (ref.primitive === 'string') {
    return [42, true, {}, [], ['x'], 1.5];
  }
  if (ref.primitive === 'number') {
    return ['8', '1.5', true, {}, [], NaN, Infinity, -Infinity];
  }
  if (ref.primitive === 'boolean') {
    return ['false', 'true', 0, 1, {}, [], 'yes'];
  }
  if (ref.collection?.kind === 'array') {
    const bad = wrongValues(ref.collection.elementtype, undefined);
    return ['x', 42, {}, true, [bad[0]], [null]];
  }
  if (ref.collection?.kind === 'map') {
    const bad = wrongValues(ref.collection.elementtype, undefined);
    return [[], 'x', 42, [['k', 'v']], { k: bad[0] }];
  }
  const fqn = ref.fqn ?? '';
  if (fqn === 'cdk8s.Duration') {
    return [30, '30s', {}, { amount: 30, unit: 'seconds' }, []];
  }
  if (!fqn.startsWith(OWN)) {
    return ['x', 42, true];
  }
  const t = typeSpec(fqn);
  if (t.kind === 'enum') {
    return ['bogus', 42, {}, typeof current === 'string' ? current.toUpperCase() + '_' : 'X'];
  }
  if (t.kind === 'class') {
    const out: unknown[] = [{}, 'x', 42, []];
    if (current instanceof Make) {
      out.push(new Make(`{ ...${current.label} }`, (chart, tag) => ({ ...(current.build(chart, tag) as object) })));
    }
    for (const f of foreignInstances ?? []) {
      if (f.fqn !== fqn) {
        out.push(f.value);
      }
    }
    return out;
  }
  return ['x', 42, true, [], new Date(0)];
}

function join(p: string, name: string): string {
  return p === '' ? name : `${p}.${name}`;
}

/**
 * Wrong shapes for `value` (of declared type `ref`, at props path `p`) and, for structs and
 * lists that are present, for what they hold; unknown extra props of every struct.
 */
export function typeMutations(ref: TypeRef, value: unknown, p: string, required: boolean): Mutation[] {
  const out: Mutation[] = [];
  const here = p === '' ? 'props' : p;
  if (required) {
    out.push(mutation(here, null), mutation(here, DELETE));
  }
  out.push(...wrongValues(ref, value).map(v => mutation(here, v)));
  const fqn = ref.fqn ?? '';
  if (fqn.startsWith(OWN) && typeSpec(fqn).kind === 'interface' && isPlain(value)) {
    const declared = structProps(fqn);
    const names = new Set(declared.map(d => d.name));
    for (const d of declared) {
      out.push(...typeMutations(d.type, value[d.name], join(p, d.name), !d.optional));
    }
    const camel = declared.find(d => /[A-Z]/.test(d.name))?.name;
    for (const extra of ['bogus', `${declared[0].name}s`, ...(camel === undefined ? [] : [camel.toLowerCase()])]) {
      if (!names.has(extra)) {
        out.push(mutation(join(p, extra), 'x'));
      }
    }
  }
  if (ref.collection?.kind === 'array' && Array.isArray(value)) {
    // a list with a hole: `[, x]` (JavaScript callers can build one; JSON writes the hole as null)
    const list = value;
    const holeFirst: unknown[] = [];
    holeFirst[1] = list[0];
    const holeLast: unknown[] = [...list];
    holeLast.length = list.length + 1;
    out.push(...[mutation(here, holeFirst), mutation(here, holeLast)]);
  }
  if (ref.collection?.kind === 'array' && Array.isArray(value) && value.length > 0) {
    out.push(...typeMutations(ref.collection.elementtype, value[0], `${p}[0]`, true)
      .filter(m => m.path !== `${p}[0]` || m.value !== DELETE));
  }
  return out;
}


/** Wrong shapes for a construct's props (its `props` parameter). */
export function propsMutations(className: string, spec: unknown): Mutation[] {
  const param = parameters(className).find(x => x.name === 'props')!;
  return typeMutations(param.type, spec, '', !param.optional);
}

/** Wrong shapes for a factory's arguments (by parameter name). */
export function argsMutations(className: string, method: string, args: unknown[]): Mutation[] {
  return parameters(className, method).flatMap((param, i) => typeMutations(param.type, args[i], param.name, !param.optional));
}

// ---------------------------------------------------------------------------------------------
// The standard error
// ---------------------------------------------------------------------------------------------

/**
 * What is wrong with `thrown` as the library's standard error for a refused `prop`:
 * `<context>: invalid <prop> <value>: expected <what>`, where `<context>` is `context` (a
 * construct's `<Class> <path>`) or, with `exact: false`, starts with it (a factory's
 * `Backend.fromService(<path>)`), and `<prop>` is `prop` or a prop under it. Undefined when
 * nothing is wrong.
 */
export function errorProblem(thrown: unknown, context: string, prop: string, exact = true): string | undefined {
  if (!(thrown instanceof Error)) {
    return `threw a non-Error: ${String(thrown)}`;
  }
  for (const bad of [TypeError, RangeError, SyntaxError, ReferenceError]) {
    if (thrown instanceof bad) {
      return `threw a ${thrown.name} (a crash, not a validation error): ${thrown.message}`;
    }
  }
  const m = thrown.message;
  if (!m.startsWith(context)) {
    return `message does not start with ${JSON.stringify(context)}: ${m}`;
  }
  const at = m.indexOf(': invalid ');
  if (at < 0 || (exact && at !== context.length)) {
    return `message has no ": invalid " right after the context: ${m}`;
  }
  const reported = m.slice(at + ': invalid '.length).split(' ')[0];
  if (reported !== prop && !reported.startsWith(`${prop}.`) && !reported.startsWith(`${prop}[`)) {
    return `message names ${JSON.stringify(reported)}, not ${JSON.stringify(prop)}: ${m}`;
  }
  if (!m.includes(': expected ')) {
    return `message has no ": expected ": ${m}`;
  }
  return undefined;
}

/** Runs `fn`, which must throw the standard error for `prop`; returns the message. */
export function expectRefused(fn: () => unknown, context: string, prop: string, exact = true): string {
  let thrown: unknown;
  let returned: unknown;
  try {
    returned = fn();
  } catch (e) {
    thrown = e;
  }
  if (thrown === undefined) {
    throw new Error(`accepted (expected the standard error for ${prop}); returned ${fc.stringify(returned)}`);
  }
  const problem = errorProblem(thrown, context, prop, exact);
  if (problem !== undefined) {
    throw new Error(problem);
  }
  return (thrown as Error).message;
}

/** Secrets in invalid positions: a marker and 4 to 20 characters of a password alphabet. */
export const SECRET_MARKER = 'S3cr3t-';
export const secretArb = fc.string({
  unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&()*+,;='.split('')),
  minLength: 4,
  maxLength: 20,
}).map(s => `${SECRET_MARKER}${s}`);

/** Throws when `message` shows the secret or any part of it that starts with the marker. */
export function expectNoSecret(message: string, secret: string): void {
  if (message.includes(secret) || message.includes(SECRET_MARKER)) {
    throw new Error(`the message shows the secret ${JSON.stringify(secret)}: ${message}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Synthesis and schemas
// ---------------------------------------------------------------------------------------------

/** True for a custom resource (validated in process); false for a core kind (validated in a child process). */
export function isCustomResource(doc: any): boolean {
  const apiVersion = String(doc?.apiVersion);
  return apiVersion.includes('/') && hasCrdGroup(apiVersion.split('/')[0]);
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const isSubdomain = (s: string) => s.length <= 253 && s.split('.').every(l => l.length <= 63 && DNS_LABEL.test(l));

/**
 * What the API server refuses beyond the OpenAPI schema, for names: every object's name is a
 * DNS-1123 subdomain, a Namespace's a DNS-1123 label, a Service's a DNS-1035 label (ValidateObjectMeta,
 * ValidateServiceName); the namespace a DNS-1123 label.
 */
export function nameErrors(doc: any): string[] {
  const errors: string[] = [];
  const name = doc?.metadata?.name;
  const where = `${doc?.apiVersion} ${doc?.kind} ${name}`;
  if (typeof name !== 'string' || !isSubdomain(name)) {
    errors.push(`${where}: metadata.name is not a DNS-1123 subdomain`);
  } else if (doc.kind === 'Service' && doc.apiVersion === 'v1' && !(name.length <= 63 && DNS_1035.test(name))) {
    errors.push(`${where}: a Service name must be a DNS-1035 label (start with a letter), the API server refuses it`);
  } else if (doc.kind === 'Namespace' && !(name.length <= 63 && DNS_LABEL.test(name))) {
    errors.push(`${where}: a Namespace name must be a DNS-1123 label`);
  }
  const ns = doc?.metadata?.namespace;
  if (ns !== undefined && !(typeof ns === 'string' && ns.length <= 63 && DNS_LABEL.test(ns))) {
    errors.push(`${where}: metadata.namespace is not a DNS-1123 label`);
  }
  return errors;
}

/** A construct under test: its class, the construct id and how to build it from materialized props. */
export interface ConstructCase<S> {
  readonly className: string;
  readonly id: string;
  /** Valid specs. */
  readonly valid: fc.Arbitrary<S>;
  /** Builds the construct; returns any output besides the manifests to compare (meshConfig, ...). */
  readonly create: (chart: Chart, id: string, props: any) => string | void;
}

/**
 * `app.synthYaml()`, and the documents it wrote (as cdk8s hands them to `Yaml.stringify`, through
 * JSON: what the YAML holds, without parsing it back).
 */
export function synthYamlAndDocs(app: App): { yaml: string; docs: any[] } {
  const stringify = Yaml.stringify;
  let docs: any[] = [];
  Yaml.stringify = (...d: any[]) => {
    docs = d;
    return stringify(...d);
  };
  try {
    const yaml = app.synthYaml();
    return { yaml, docs: JSON.parse(JSON.stringify(docs)).filter((d: any) => d !== null) };
  } finally {
    Yaml.stringify = stringify;
  }
}

/** Synthesizes `spec` in a fresh app: the YAML, its documents and any extra output. */
export function synthOnce<S>(c: ConstructCase<S>, spec: S): { yaml: string; docs: any[]; extra: string } {
  const { app, chart } = newApp();
  const extra = c.create(chart, c.id, materialize(spec, chart, 'a')) ?? '';
  return { ...synthYamlAndDocs(app), extra };
}

/** The documents of a YAML stream. */
export function parseDocuments(yaml: string): any[] {
  return YAML.parseAllDocuments(yaml).map(d => d.toJSON()).filter(d => d !== null);
}

function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) {
    i++;
  }
  return `at offset ${i}: ${JSON.stringify(a.slice(Math.max(0, i - 80), i + 80))} vs ${JSON.stringify(b.slice(Math.max(0, i - 80), i + 80))}`;
}

/** Core-kind documents of many runs, validated in one child process. */
export class SchemaBatch {
  private readonly docs: any[] = [];
  private readonly owners: number[] = [];
  private readonly specs: unknown[] = [];

  /** Adds the core documents of one run (with its spec, for the report). */
  public add(spec: unknown, docs: any[]): void {
    const run = this.specs.push(spec) - 1;
    for (const d of docs) {
      this.docs.push(d);
      this.owners.push(run);
    }
  }

  public get size(): number {
    return this.docs.length;
  }

  /** Throws with the failing runs (their fast-check path and spec) and their errors. */
  public check(what: string, seed: number): void {
    if (this.docs.length === 0) {
      return;
    }
    const reports = validateDocuments(this.docs);
    const failing = new Map<number, string[]>();
    reports.forEach((r, i) => {
      if (r.errors.length > 0) {
        const run = this.owners[i];
        failing.set(run, [...(failing.get(run) ?? []), formatErrors([r])]);
      }
    });
    if (failing.size > 0) {
      const shown = [...failing.entries()].slice(0, 3).map(([run, errors]) =>
        `run ${run} (reproduce with { seed: ${seed}, path: "${run}" }): ${fc.stringify(this.specs[run])}\n  ${errors.join('\n  ')}`);
      throw new Error(`${what}: schema-invalid core documents in ${failing.size} of ${this.specs.length} runs:\n${shown.join('\n')}`);
    }
  }
}

export interface RunOptions {
  readonly seed: number;
  readonly numRuns: number;
  readonly endOnFailure?: boolean;
}

/**
 * Property 1: every valid spec synthesizes twice to the same YAML (and extra output), every
 * document schema-valid and with names the API server accepts. Returns the number of documents.
 */
export function checkValidSpecs<S>(c: ConstructCase<S>, options: RunOptions): number {
  const batch = new SchemaBatch();
  let documents = 0;
  fc.assert(fc.property(c.valid, spec => {
    const first = synthOnce(c, spec);
    const second = synthOnce(c, spec);
    if (first.yaml !== second.yaml) {
      throw new Error(`two fresh apps synthesize different YAML ${firstDifference(first.yaml, second.yaml)}`);
    }
    if (first.extra !== second.extra) {
      throw new Error(`two fresh apps give different output ${firstDifference(first.extra, second.extra)}`);
    }
    const docs = first.docs;
    if (docs.length === 0) {
      throw new Error('no documents');
    }
    const custom = docs.filter(isCustomResource);
    const errors = formatErrors(validateDocuments(custom));
    if (errors) {
      throw new Error(`schema-invalid custom resources:\n${errors}`);
    }
    const names = docs.flatMap(nameErrors);
    if (names.length > 0) {
      throw new Error(`names the API server refuses:\n${names.join('\n')}`);
    }
    batch.add(spec, docs.filter(d => !isCustomResource(d)));
    documents += docs.length;
  }), options);
  batch.check(`${c.className} (valid specs)`, options.seed);
  return documents;
}

/**
 * For props at the edge of what the library documents (beyond a schema or API server limit):
 * each spec is either refused with the standard error naming `prop(spec)`, or synthesizes to
 * documents that are schema-valid and have names the API server accepts.
 */
export function checkRefusedOrValid<S>(c: ConstructCase<S>, specs: fc.Arbitrary<S>, prop: (spec: S) => string, options: RunOptions): void {
  const batch = new SchemaBatch();
  fc.assert(fc.property(specs, spec => {
    const { app, chart } = newApp();
    let built = false;
    try {
      c.create(chart, c.id, materialize(spec, chart, 'a'));
      built = true;
    } catch (e) {
      const problem = errorProblem(e, `${c.className} c/${c.id}`, prop(spec));
      if (problem !== undefined) {
        throw new Error(problem);
      }
    }
    if (built) {
      const { docs } = synthYamlAndDocs(app);
      const errors = [formatErrors(validateDocuments(docs.filter(isCustomResource))), ...docs.flatMap(nameErrors)].filter(x => x !== '');
      if (errors.length > 0) {
        throw new Error(`accepted, and the output is invalid:\n${errors.join('\n')}`);
      }
      batch.add(spec, docs.filter(d => !isCustomResource(d)));
    }
  }), options);
  batch.check(`${c.className} (accepted edge specs)`, options.seed);
}

/** A valid spec and one mutation of it. */
export function invalidSpecs<S>(valid: fc.Arbitrary<S>,
  mutations: (spec: S) => fc.Arbitrary<Mutation>): fc.Arbitrary<{ spec: S; mutation: Mutation }> {
  return valid.chain(spec => mutations(spec).map(m => ({ spec, mutation: m })));
}

/**
 * Property 2: each mutated spec is refused with the standard error naming the mutated prop, and
 * the same id then takes the valid spec; one run in twenty also checks that the refused construct
 * left nothing in the synthesized output.
 */
export function checkInvalidSpecs<S>(c: ConstructCase<S>, mutations: (spec: S) => fc.Arbitrary<Mutation>, options: RunOptions): void {
  const context = `${c.className} c/${c.id}`;
  fc.assert(fc.property(invalidSpecs(c.valid, mutations), fc.integer({ min: 0, max: 19 }), ({ spec, mutation: m }, dice) => {
    const { app, chart } = newApp();
    const bad = applyMutation(materialize(spec, chart, 'a'), m, chart, 'm');
    expectRefused(() => c.create(chart, c.id, bad), context, m.expect ?? m.path);
    c.create(chart, c.id, materialize(spec, chart, 'b'));
    if (dice === 0) {
      const clean = newApp();
      materialize(spec, clean.chart, 'a');
      materialize(m.value, clean.chart, 'm');
      c.create(clean.chart, c.id, materialize(spec, clean.chart, 'b'));
      const [after, expected] = [app.synthYaml(), clean.app.synthYaml()];
      if (after !== expected) {
        throw new Error(`the refused construct left something behind ${firstDifference(after, expected)}`);
      }
    }
  }), options);
}

/** Property 3 helper: `fn` must throw the standard error for `prop`, without showing `secret`. */
export function expectRefusedWithoutSecret(fn: () => unknown, context: string, prop: string, secret: string, exact = true): void {
  expectNoSecret(expectRefused(fn, context, prop, exact), secret);
}

// ---------------------------------------------------------------------------------------------
// Negative controls: the checks above must be able to fail
// ---------------------------------------------------------------------------------------------

/**
 * Variants of a case that the checks must catch: a schema-invalid custom resource and core
 * document next to the construct's, output that differs between two apps, a refusal that is a
 * TypeError or names another prop, a construct that accepts everything, and refused constructs
 * that keep their id or leave an object behind.
 */
export function brokenCases<S>(c: ConstructCase<S>): { [name in
  'badCustomResource' | 'badCoreDocument' | 'nondeterministic' | 'crash' | 'wrongProp' | 'accepting' | 'keepsId' | 'leavesObject']: ConstructCase<S> } {
  let counter = 0;
  return {
    badCustomResource: {
      ...c,
      create: (chart, id, p) => {
        const out = c.create(chart, id, p);
        new ApiObject(chart, 'broken', { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: {}, spec: { mtls: { mode: 'STRICTEST' } } });
        return out;
      },
    },
    badCoreDocument: {
      ...c,
      create: (chart, id, p) => {
        const out = c.create(chart, id, p);
        new ApiObject(chart, 'broken', { apiVersion: 'v1', kind: 'ConfigMap', metadata: {}, data: { a: 1 } });
        return out;
      },
    },
    nondeterministic: { ...c, create: (chart, id, p) => `${c.create(chart, id, p) ?? ''}${counter++}` },
    crash: { ...c, create: () => { throw new TypeError('Cannot read properties of undefined (reading \'length\')'); } },
    wrongProp: {
      ...c,
      create: (chart, id, p) => {
        try {
          return c.create(chart, id, p);
        } catch {
          throw new Error(`${c.className} c/${id}: invalid zzz 1: expected something`);
        }
      },
    },
    accepting: {
      ...c,
      create: (chart, id, p) => {
        try {
          return c.create(chart, id, p);
        } catch {
          return undefined;
        }
      },
    },
    keepsId: {
      ...c,
      create: (chart, id, p) => {
        try {
          return c.create(chart, id, p);
        } catch (e) {
          new Construct(chart, id);
          throw e;
        }
      },
    },
    leavesObject: {
      ...c,
      create: (chart, id, p) => {
        try {
          return c.create(chart, id, p);
        } catch (e) {
          new ApiObject(chart, `${id}-left`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: {} });
          throw e;
        }
      },
    },
  };
}

/**
 * The negative controls of a case: each check above fails on a known-bad variant (without
 * shrinking, a few runs each).
 */
export function expectChecksCatchBrokenCases<S>(c: ConstructCase<S>, mutations: (spec: S) => fc.Arbitrary<Mutation>): void {
  const broken = brokenCases(c);
  const opts = { seed: 1, numRuns: 5, endOnFailure: true };
  const fails = (fn: () => void, pattern: RegExp) => {
    let message = '';
    try {
      fn();
    } catch (e) {
      for (let x: any = e; x instanceof Error; x = x.cause) {
        message += `${x.message}\n`;
      }
    }
    if (!pattern.test(message)) {
      throw new Error(`negative control not caught (expected ${pattern}); got: ${message || 'no failure'}`);
    }
  };
  fails(() => checkValidSpecs(broken.badCustomResource, opts), /schema-invalid custom resources:\n.*\/spec\/mtls\/mode: must be equal to one of the allowed values/);
  fails(() => checkValidSpecs(broken.badCoreDocument, opts), /schema-invalid core documents in 5 of 5 runs/);
  fails(() => checkValidSpecs(broken.nondeterministic, opts), /two fresh apps give different output/);
  fails(() => checkInvalidSpecs(broken.crash, mutations, opts), /threw a TypeError/);
  fails(() => checkInvalidSpecs(broken.wrongProp, mutations, opts), /message names "zzz"/);
  fails(() => checkInvalidSpecs(broken.accepting, mutations, opts), /accepted \(expected the standard error/);
  fails(() => checkInvalidSpecs(broken.keepsId, mutations, opts), /There is already a Construct with name/);
  fails(() => checkInvalidSpecs(broken.leavesObject, mutations, { ...opts, numRuns: 100 }), /the refused construct left something behind/);
}

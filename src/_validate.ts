/**
 * Input checks shared by every construct. Each check throws an `Error` whose message names
 * where the value came from (construct path or factory), the prop, the value given and what
 * is expected:
 *
 *   `IstioGrpcIngress Default/api: invalid hosts[1] "Bad_Host": expected a DNS-1123 subdomain ...`
 *
 * Messages are lowercase after the context and have no trailing period.
 */
import { Duration } from 'cdk8s';
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
    return JSON.stringify(value);
  }
  if (value === undefined) {
    return 'undefined';
  }
  if (value instanceof Duration) {
    return `${value.toMilliseconds({ integral: false })}ms`;
  }
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
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
    if (!LABEL_KEY.test(k) || k.length > 316 || typeof v !== 'string' || !LABEL_VALUE.test(v) || v.length > 63) {
      fail(ctx, `${prop}.${k}`, v, 'a Kubernetes label key and value');
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

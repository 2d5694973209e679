import { IConstruct } from 'constructs';
import { checkDns1035Label, checkDnsLabel, claim, fail } from './_validate';

/** The base names users gave front doors, by construct. */
const baseNames = new WeakMap<IConstruct, string>();

/** Suffixes other than the kebab-case child id. */
const SUFFIXES: { [id: string]: string } = { Resource: '', Gateway: '', Service: '', Certificate: 'tls' };

/**
 * Takes the `name` a user gave a construct as the base of its objects' names: the default child
 * (`Resource`) is named `<name>`, the others `<name>-<child id in kebab case>`. Checked as a
 * DNS-1123 label (a DNS-1035 label when `service`: it names a Service), and claimed in the
 * namespace, so two front doors cannot write objects of the same name.
 */
export function nameObjects(construct: IConstruct, ctx: string, prop: string, name: string | undefined, namespace: string,
  options: { service?: boolean } = {}): string | undefined {
  if (name === undefined) {
    return undefined;
  }
  if (options.service) {
    checkDns1035Label(ctx, prop, name);
  } else {
    checkDnsLabel(ctx, prop, name);
  }
  if (name.length > 40) {
    fail(ctx, prop, name, 'at most 40 characters: the objects are named "<name>-<suffix>", and some names end up in labels of 63 at most');
  }
  const other = claim(construct, `object names ${namespace}/${name}`);
  if (other !== undefined) {
    fail(ctx, prop, name, `a name that ${other} does not use in namespace "${namespace}" already (its objects would be overwritten)`);
  }
  baseNames.set(construct, name);
  return name;
}

/** The name of child `id` of `construct`: from the base name the user gave, if any (else cdk8s generates one). */
export function childName(construct: IConstruct, id: string): string | undefined {
  const base = baseNames.get(construct);
  if (base === undefined) {
    return undefined;
  }
  const suffix = SUFFIXES[id] ?? id.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
  return suffix === '' ? base : `${base}-${suffix}`;
}

/** `{ name }`, or nothing when there is none: cdk8s takes a `name: undefined` in metadata as the name. */
export function named(name: string | undefined): { name?: string } {
  return name === undefined ? {} : { name };
}

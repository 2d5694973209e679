import { ApiObject, Chart } from 'cdk8s';
import { IConstruct } from 'constructs';
import { checkDns1035Label, checkDnsLabel, claim, fail } from './_validate';

/** The base names users gave front doors, by construct. */
const baseNames = new WeakMap<IConstruct, string>();

/** Suffixes other than the kebab-case child id. */
const SUFFIXES: { [id: string]: string } = { Resource: '', Gateway: '', Service: '', Certificate: 'tls' };

/**
 * Takes the `name` a user gave a construct as the base of its objects' names: the default child
 * (`Resource`) is named `<name>`, the others `<name>-<child id in kebab case>`. Checked as a
 * DNS-1123 label (a DNS-1035 label when `service`: it names a Service). `claimObjectNames`
 * then claims each object the construct writes.
 */
export function nameObjects(construct: IConstruct, ctx: string, prop: string, name: string | undefined,
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

/**
 * Claims, in the app, every object `construct` writes, by API group, kind, namespace and name,
 * and each Secret it has written for it (`secrets`, such as cert-manager's): two constructs that
 * would write the same object (the one applied last would replace the other, and with it, say, a
 * DENY policy) are refused. `props` says which prop gave a name, for the message (else `name`).
 * Generated names never collide; names users give can.
 */
export function claimObjectNames(construct: IConstruct, ctx: string, props: { [objectName: string]: string } = {},
  secrets: { namespace: string; name: string; prop?: string }[] = []): void {
  const objects: { group: string; kind: string; namespace: string; name: string; prop?: string }[] = construct.node.findAll()
    .filter((c): c is ApiObject => c instanceof ApiObject)
    .map(o => ({ group: o.apiGroup, kind: o.kind, namespace: o.metadata.namespace ?? Chart.of(o).namespace ?? '', name: o.name, prop: props[o.name] }));
  for (const s of secrets) {
    objects.push({ group: 'core', kind: 'Secret', namespace: s.namespace, name: s.name, prop: s.prop });
  }
  for (const o of objects) {
    const other = claim(construct, `object ${o.group}/${o.kind} ${o.namespace}/${o.name}`);
    if (other !== undefined) {
      // A name the user gave as such, or the base `name` the object's name was made from.
      const base = baseNames.get(construct);
      fail(ctx, o.prop ?? 'name', o.prop !== undefined || base === undefined ? o.name : base,
        `a name no other construct of the app gives ${/^[AEIOU]/.test(o.kind) ? 'an' : 'a'} ${o.kind} in namespace "${o.namespace}": ${other} writes ${o.kind} ${o.namespace}/${o.name} too`);
    }
  }
}

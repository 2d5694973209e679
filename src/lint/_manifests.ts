/**
 * The manifests a lint run looks at: every document of every file, with where it came from.
 */

/** One document of a manifest file. */
export interface Manifest {
  /** The parsed document. */
  readonly doc: any;
  /** The file it was read from, as given. */
  readonly file: string;
  /** Its position among the documents of that file (0-based). */
  readonly index: number;
}

/** How a finding refers to its document: `Kind namespace/name`. */
export function describe(m: Manifest): string {
  return `${m.doc?.kind ?? '?'} ${namespaceOf(m.doc)}/${m.doc?.metadata?.name ?? '?'}`;
}

/** The namespace of an object, `default` when it names none (as kubectl applies it). */
export function namespaceOf(doc: any): string {
  return doc?.metadata?.namespace ?? 'default';
}

/** Istio's root namespace: its policies without a selector apply to every workload of the mesh. */
export const ROOT_NAMESPACE = 'istio-system';

/** The `source` of each `from` of an AuthorizationPolicy rule. */
export function policySources(rule: any): any[] {
  return (rule?.from ?? []).map((f: any) => f.source ?? {});
}

/** Whether every label `want` asks for is in `have` (an empty or missing selector selects all). */
export function selects(want: { readonly [k: string]: string } | undefined, have: { readonly [k: string]: string } | undefined): boolean {
  return Object.entries(want ?? {}).every(([k, v]) => (have ?? {})[k] === v);
}

/** The documents of a run, with lookups by kind. */
export class ManifestSet {
  /** The plain documents, for the data-plane models. */
  public readonly docs: any[];
  private readonly byKind = new Map<string, Manifest[]>();

  constructor(public readonly all: Manifest[]) {
    this.docs = all.map(m => m.doc);
  }

  /** Documents of `kind`, whose apiVersion's group ends with `group` (any group when omitted). */
  public of(kind: string, group?: string): Manifest[] {
    const key = `${kind}|${group ?? '*'}`;
    let found = this.byKind.get(key);
    if (found === undefined) {
      found = this.all.filter(m => m.doc.kind === kind && (group === undefined || groupOf(m.doc) === group || groupOf(m.doc).endsWith(`.${group}`)));
      this.byKind.set(key, found);
    }
    return found;
  }

  /** The manifest holding `doc`. */
  public find(doc: any): Manifest | undefined {
    return this.all.find(m => m.doc === doc);
  }
}

/** The API group of a document (`""` for core). */
export function groupOf(doc: any): string {
  const v = String(doc?.apiVersion ?? '');
  return v.includes('/') ? v.split('/')[0] : '';
}

/** Only Kubernetes objects (with apiVersion and kind): files also hold empty documents, values and lists. */
export function manifestsOf(file: string, docs: unknown[]): Manifest[] {
  const out: Manifest[] = [];
  docs.forEach((doc, index) => {
    if (doc !== null && typeof doc === 'object' && !Array.isArray(doc)) {
      const d = doc as any;
      if (d.kind === 'List' && Array.isArray(d.items)) {
        d.items.filter((item: any) => typeof item?.kind === 'string').forEach((item: any) => out.push({ doc: item, file, index }));
      } else if (typeof d.kind === 'string' && typeof d.apiVersion === 'string') {
        out.push({ doc: d, file, index });
      }
    }
  });
  return out;
}

/**
 * Values for other tools (istiod's Helm values, KServe's ingress config) that no manifest can
 * carry safely: written by `App.synth()` as files under `<outdir>/values/`, next to the
 * manifests, after cdk8s has validated the app and written them. `kubectl apply -f <outdir>`
 * does not read the subfolder. `synthYaml()` and `Testing.synth()` write nothing.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App } from 'cdk8s';
import { IConstruct } from 'constructs';
import { attached, byCodeUnits } from './_validate';

interface ValuesFile {
  readonly owner: IConstruct;
  readonly produce: () => string;
}

/** Per app: the files to write, by name. */
const files = new WeakMap<App, Map<string, ValuesFile>>();

/** The folder under the app's output folder that holds the values files. */
export const VALUES_FOLDER = 'values';

/** A file name for a construct's values: its path, lowercase, with "-" for "/" and odd characters. */
export function valuesFileName(construct: IConstruct, suffix: string): string {
  return `${construct.node.path.toLowerCase().replace(/[^a-z0-9.]+/g, '-').replace(/^-+|-+$/g, '')}.${suffix}`;
}

/**
 * Registers a values file of `owner`, written by the app's `synth()`. Nothing happens when the
 * construct tree's root is not a cdk8s App.
 */
export function addValuesFile(owner: IConstruct, name: string, produce: () => string): void {
  const root = owner.node.root;
  if (!(root instanceof App)) {
    return;
  }
  let registered = files.get(root);
  if (registered === undefined) {
    registered = new Map();
    files.set(root, registered);
    const synth = root.synth.bind(root);
    const app = root;
    const own = registered;
    // App.synth validates the whole app, then writes the manifests: the files follow, so a
    // refused app writes none.
    Object.defineProperty(root, 'synth', {
      configurable: true,
      writable: true,
      value: () => {
        synth();
        writeValuesFiles(app.outdir, own);
      },
    });
  }
  registered.set(name, { owner, produce });
}

function writeValuesFiles(outdir: string, registered: Map<string, ValuesFile>): void {
  const live = [...registered.entries()].filter(([, f]) => attached(f.owner)).sort(([a], [b]) => byCodeUnits(a, b));
  if (live.length === 0) {
    return;
  }
  const dir = path.join(outdir, VALUES_FOLDER);
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, f] of live) {
    fs.writeFileSync(path.join(dir, name), f.produce());
  }
}

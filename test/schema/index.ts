/**
 * Schema validation for everything a chart synthesizes.
 *
 * - Custom resources: against the `openAPIV3Schema` of their served version in the upstream
 *   CRD files (see crd-schemas.ts), strictly: undeclared fields are errors.
 * - Core kinds: against the Kubernetes OpenAPI schema (see core-schemas.ts), strictly too.
 * - A document of a kind neither knows is an error, never a pass.
 */
import { validateCoreDocuments } from './core-schemas';
import { validateCustomResource } from './crd-schemas';

/** The verdict on one document. */
export interface DocumentReport {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly errors: string[];
}

/** Validates every document; the reports come back in the documents' order. */
export function validateDocuments(docs: any[]): DocumentReport[] {
  const reports: DocumentReport[] = new Array(docs.length);
  const core: number[] = [];
  docs.forEach((doc, i) => {
    const id = { apiVersion: String(doc?.apiVersion), kind: String(doc?.kind), name: String(doc?.metadata?.name) };
    if (doc === null || typeof doc !== 'object' || typeof doc.apiVersion !== 'string' || typeof doc.kind !== 'string') {
      reports[i] = { ...id, errors: ['not a Kubernetes object: apiVersion and kind must be strings'] };
      return;
    }
    const crdErrors = validateCustomResource(doc);
    if (crdErrors === undefined) {
      core.push(i);
    } else {
      reports[i] = { ...id, errors: crdErrors };
    }
  });
  if (core.length > 0) {
    const coreErrors = validateCoreDocuments(core.map(i => docs[i]));
    core.forEach((docIndex, j) => {
      const doc = docs[docIndex];
      reports[docIndex] = { apiVersion: doc.apiVersion, kind: doc.kind, name: String(doc.metadata?.name), errors: coreErrors[j] };
    });
  }
  return reports;
}

/** Formats the failing reports, one line per error; empty when every document is valid. */
export function formatErrors(reports: DocumentReport[]): string {
  return reports
    .filter(r => r.errors.length > 0)
    .flatMap(r => r.errors.map(e => `${r.apiVersion} ${r.kind} ${r.name}: ${e}`))
    .join('\n');
}

/**
 * Throws with every schema error of every document (for use in tests:
 * `expectValidManifests(Testing.synth(chart))`). Also fails on an empty list, so a test
 * cannot pass by validating nothing.
 */
export function expectValidManifests(docs: any[]): void {
  if (docs.length === 0) {
    throw new Error('no documents to validate');
  }
  const errors = formatErrors(validateDocuments(docs));
  if (errors) {
    throw new Error(`schema validation failed:\n${errors}`);
  }
}

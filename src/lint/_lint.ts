/**
 * One lint run over a set of manifests: the static checks and the front-door analysis, then
 * suppressions, in a stable order.
 */
import { frontDoorFindings } from './_doors';
import { lineOf } from './_load';
import { describe, Manifest, ManifestSet } from './_manifests';
import { Finding, finding, RULES, Severity, SUPPRESS_PREFIX } from './_rules';
import { STATIC_CHECKS } from './_static';

/** The result of a run. */
export interface LintReport {
  /** Findings no annotation suppresses, most severe first. */
  readonly findings: Finding[];
  /** Findings an annotation suppresses, with its reason. */
  readonly suppressed: Finding[];
  /** How many documents were checked. */
  readonly documents: number;
  /** The front doors the attack matrix ran on (`https://host/path via <data plane>`). */
  readonly doors: string[];
}

const RANK: { [s in Severity]: number } = { error: 0, warning: 1, note: 2 };

function compare(a: Finding, b: Finding): number {
  const key = (f: Finding): (string | number)[] => [RANK[f.severity], f.manifest.file, f.manifest.index, f.rule.id, f.field, f.message];
  const ka = key(a);
  const kb = key(b);
  for (let i = 0; i < ka.length; i++) {
    if (ka[i] !== kb[i]) {
      return ka[i] < kb[i] ? -1 : 1;
    }
  }
  return 0;
}

/** The suppression annotations of an object: rule id → reason (empty when none was given). */
function suppressions(m: Manifest): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries<any>(m.doc.metadata?.annotations ?? {})) {
    if (k.startsWith(SUPPRESS_PREFIX)) {
      out.set(k.slice(SUPPRESS_PREFIX.length), typeof v === 'string' ? v.trim() : '');
    }
  }
  return out;
}

/** Lints `manifests` as one set (references resolve across files). */
export async function lint(given: Manifest[]): Promise<LintReport> {
  // File (code-unit order) and position: the same findings whatever order the files come in.
  const manifests = [...given].sort((a, b) => (a.file !== b.file ? (a.file < b.file ? -1 : 1) : a.index - b.index));
  const set = new ManifestSet(manifests);
  const raw: Finding[] = [];
  for (const check of STATIC_CHECKS) {
    raw.push(...check(set));
  }
  const doors = await frontDoorFindings(set);
  raw.push(...doors.findings);
  const known = new Set(Object.values(RULES).map(r => r.id));
  for (const m of manifests) {
    for (const [id, reason] of suppressions(m)) {
      if (reason.length === 0) {
        raw.push(finding(RULES.suppressionWithoutReason, m, `metadata.annotations["${SUPPRESS_PREFIX}${id}"]`,
          `the suppression of ${id} on ${describe(m)} gives no reason, so it does not suppress`));
      } else if (!known.has(id)) {
        raw.push(finding(RULES.suppressionWithoutReason, m, `metadata.annotations["${SUPPRESS_PREFIX}${id}"]`,
          `${id} is not a rule of this linter (rules: cdk8s-secure-serving lint --rules)`));
      }
    }
  }
  const findings: Finding[] = [];
  const suppressed: Finding[] = [];
  const dedup = new Set<string>();
  for (const f of raw) {
    const key = `${f.rule.id}|${f.manifest.file}|${f.manifest.index}|${f.field}|${f.message}`;
    if (dedup.has(key)) {
      continue;
    }
    dedup.add(key);
    const reason = f.rule.id === RULES.suppressionWithoutReason.id ? undefined : suppressions(f.manifest).get(f.rule.id);
    if (reason) {
      suppressed.push({ ...f, suppressed: reason });
    } else {
      findings.push(f);
    }
  }
  return { findings: findings.sort(compare), suppressed: suppressed.sort(compare), documents: manifests.length, doors: doors.modeled };
}

/** `file:line` of a finding (the document's first line when the field has none). */
export function whereOf(f: Finding): { file: string; line?: number } {
  return { file: f.manifest.file, line: lineOf(f.manifest, f.field.split(' → ')[0]) };
}

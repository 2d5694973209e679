/**
 * Reports for people (one line per finding) and for code-scanning tools (SARIF 2.1.0).
 */
import { LintReport, whereOf } from './_lint';
import { describe } from './_manifests';
import { Finding, RULES, Severity } from './_rules';

const TOOL = 'cdk8s-secure-serving';

function location(f: Finding): string {
  const w = whereOf(f);
  return `${w.file}${w.line !== undefined ? `:${w.line}` : ''}`;
}

/** One line per finding, then the suppressed ones, then a count. */
export function textReport(report: LintReport): string {
  const lines: string[] = [];
  for (const f of report.findings) {
    lines.push(`${location(f)}: ${f.severity} ${f.rule.id}: ${describe(f.manifest)}${f.field ? ` ${f.field}` : ''}: ${f.message}. Fix: ${f.rule.fix}`);
  }
  for (const f of report.suppressed) {
    lines.push(`${location(f)}: suppressed ${f.rule.id}: ${describe(f.manifest)}${f.field ? ` ${f.field}` : ''}: ${f.message} (reason: ${f.suppressed})`);
  }
  const count = (s: Severity) => report.findings.filter(f => f.severity === s).length;
  lines.push(`${report.documents} documents, ${report.doors.length} front doors modeled: ${count('error')} errors, ${count('warning')} warnings, ${count('note')} notes, ${report.suppressed.length} suppressed`);
  return `${lines.join('\n')}\n`;
}

const LEVEL: { [s in Severity]: string } = { error: 'error', warning: 'warning', note: 'note' };

/** SARIF 2.1.0: one run, every rule, results with file, line and the object's logical location. */
export function sarifReport(report: LintReport, version: string): string {
  const rules = Object.values(RULES).sort((a, b) => (a.id < b.id ? -1 : 1));
  const index = new Map(rules.map((r, i) => [r.id, i]));
  const result = (f: Finding) => {
    const w = whereOf(f);
    return {
      ruleId: f.rule.id,
      ruleIndex: index.get(f.rule.id),
      level: LEVEL[f.severity],
      message: { text: `${describe(f.manifest)}${f.field ? ` ${f.field}` : ''}: ${f.message}. Fix: ${f.rule.fix}` },
      locations: [{
        physicalLocation: {
          artifactLocation: { uri: w.file.split('\\').join('/') },
          ...(w.line !== undefined ? { region: { startLine: w.line } } : {}),
        },
        logicalLocations: [{ fullyQualifiedName: `${describe(f.manifest)}${f.field ? `:${f.field}` : ''}`, kind: 'object' }],
      }],
      ...(f.suppressed !== undefined ? { suppressions: [{ kind: 'inSource', justification: f.suppressed }] } : {}),
    };
  };
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{
      tool: {
        driver: {
          name: TOOL,
          version,
          informationUri: 'https://github.com/cdk8s-secure-serving/cdk8s-secure-serving',
          rules: rules.map(r => ({
            id: r.id,
            shortDescription: { text: r.title },
            help: { text: r.fix },
            defaultConfiguration: { level: LEVEL[r.severity] },
          })),
        },
      },
      results: [...report.findings, ...report.suppressed].map(result),
    }],
  };
  return `${JSON.stringify(sarif, undefined, 2)}\n`;
}

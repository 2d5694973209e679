import { checkProps } from '../_validate';
import { describe } from './_manifests';

/** The lowest severity of a finding that fails a run. */
export enum LintSeverity {
  /** Fail on errors only. */
  ERROR = 'error',
  /** Fail on warnings and errors. */
  WARNING = 'warning',
}

/** Options of the validation plugin (the `properties` of its entry in cdk8s.yaml). */
export interface SecureServingValidationProps {
  /**
   * The lowest severity that fails `cdk8s synth`.
   * @default LintSeverity.WARNING
   */
  readonly failOn?: LintSeverity;
}

/**
 * The checks of `cdk8s-secure-serving lint` as a validation plugin of `cdk8s synth`: every
 * manifest the app wrote is checked as one set (references resolve across charts), and a
 * finding at or above `failOn` makes `cdk8s synth` fail.
 *
 * In cdk8s.yaml:
 * ```yaml
 * validations:
 *   - package: cdk8s-secure-serving
 *     version: 1.2.3            # the exact version the app uses
 *     class: SecureServingValidation
 *     properties: { failOn: warning }
 * ```
 * Suppress a finding on an object with the annotation
 * `lint.cdk8s-secure-serving.dev/<rule id>: <reason>`; suppressed findings are listed in the report.
 */
export class SecureServingValidation {
  private readonly failOn: LintSeverity;

  constructor(props: SecureServingValidationProps = {}) {
    const p = checkProps('SecureServingValidation', 'SecureServingValidation', props);
    this.failOn = p.failOn ?? LintSeverity.WARNING;
  }

  /**
   * Checks the manifests of a `cdk8s synth` run and reports every finding to it.
   * @param context the validation context cdk8s-cli passes (its `manifests`, `report` and `logger`)
   */
  public async validate(context: any): Promise<void> {
    // Loaded here, not with the package: an app that only synthesizes does not pay for the models.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { lint } = require('./_lint') as typeof import('./_lint');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { readManifests } = require('./_load') as typeof import('./_load');
    const manifests: string[] = [...(context?.manifests ?? [])].map(String).sort();
    const report = await lint(readManifests(manifests));
    for (const f of report.findings) {
      context.report.addViolation({
        ruleName: `${f.rule.id} (${f.severity})`,
        recommendation: `${describe(f.manifest)}: ${f.message}`,
        fix: f.rule.fix,
        violatingResources: [{ resourceName: String(f.manifest.doc.metadata?.name ?? ''), locations: f.field ? [f.field] : [], manifestPath: f.manifest.file }],
      });
    }
    for (const f of report.suppressed) {
      context.logger?.log?.(`suppressed ${f.rule.id}: ${describe(f.manifest)}: ${f.message} (reason: ${f.suppressed})`);
    }
    const failing = report.findings.some(f => f.severity === 'error' || (this.failOn === LintSeverity.WARNING && f.severity === 'warning'));
    const metadata: { [k: string]: string } = {
      documents: String(report.documents),
      findings: String(report.findings.length),
      suppressed: String(report.suppressed.length),
    };
    report.suppressed.forEach((f, i) => {
      metadata[`suppressed.${i + 1}`] = `${f.rule.id} on ${describe(f.manifest)}: ${f.suppressed}`;
    });
    context.report.submit(failing ? 'failure' : 'success', metadata);
  }
}

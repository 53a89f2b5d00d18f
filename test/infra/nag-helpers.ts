/**
 * cdk-nag in the infra tests: the findings a scope still has (each named with the paths it is on), and the
 * acknowledgements recorded on the constructs, so tests can check each one is on a resource and has a reason.
 */
import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

/** The AWS Solutions findings left in `scope`, as `rule: construct paths` (empty when clean). */
export function nagFindings(app: App, scope: IConstruct): string[] {
  const report = new AwsSolutionsChecks(app, { verbose: true }).validateScope(scope);
  const findings = report.violations.map(
    (violation) =>
      `${violation.ruleName}: ${violation.violatingResources.map((r) => r.constructPath).join(', ')}`,
  );
  if (findings.length === 0 && !report.success) throw new Error('cdk-nag failed without a finding');
  return findings;
}

/** Every acknowledgement recorded under `scope`: where, which finding, and the reason given. */
export function acknowledgements(scope: IConstruct): { path: string; id: string; reason: unknown }[] {
  return scope.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => {
        const data: unknown = entry.data;
        if (typeof data !== 'object' || data === null) return [];
        // CDK records acknowledgements of plugin rules under an `Annotation::` prefix.
        return Object.entries(data).map(([id, reason]: [string, unknown]) => ({
          path: construct.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        }));
      }),
  );
}

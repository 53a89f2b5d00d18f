// @ts-check
import path from 'node:path';

// The tests run in a copy of the project (.stryker-tmp/sandbox-*), where ../shared is not beside it:
// point them at the real samples (test/helpers/fixtures.ts), or those tests would be skipped.
process.env.REFERENCE_EVENTS_DIR ??= path.resolve(import.meta.dirname, '../shared/reference-events');

/**
 * Mutation testing of the pure core (`npm run test:mutation`; one module:
 * `npm run test:mutation -- --mutate lib/plan.ts`). Stryker changes the code one small mutation at a
 * time and runs the unit tests that cover it: a mutant no test notices is a behaviour nothing checks.
 * Scores, the equivalent mutants and how to read a report: docs/reliability.md, "Mutation testing".
 *
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  mutate: [
    'lib/policy.ts',
    'lib/decision.ts',
    'lib/wildcard.ts',
    'lib/plan.ts',
    'lib/push-history.ts',
    'lib/scope.ts',
    'lib/event-routing.ts',
    'lib/org-retry.ts',
    'lib/events.ts',
    'lib/sweep.ts',
    'lib/sweep-input.ts',
    'lib/org-results.ts',
    'lib/org-sweep.ts',
    'lib/settings.ts',
    'lib/config.ts',
    // The adapters, the auditor and its sinks, the Security Hub sync and the evidence report: their unit
    // tests drive them through aws-sdk-client-mock and in-memory data.
    'lib/errors.ts',
    'lib/validation.ts',
    'lib/aws-retry.ts',
    'lib/aws-call.ts',
    'lib/caller-identity.ts',
    'lib/credentials.ts',
    'lib/member-access.ts',
    'lib/scope-items.ts',
    'lib/org-config.ts',
    'lib/organizations.ts',
    'lib/cloudtrail.ts',
    'lib/ecr.ts',
    'lib/ecr-facts.ts',
    'lib/enforce.ts',
    'lib/audit.ts',
    'lib/outcomes.ts',
    'lib/auditor.ts',
    'lib/audit-events.ts',
    'lib/audit-sinks.ts',
    'lib/findings-sync.ts',
    'lib/finding-notes.ts',
    'lib/securityhub.ts',
    'lib/securityhub-sink.ts',
    'lib/forwarding-rule.ts',
    'lib/iam-actions.ts',
    'lib/report.ts',
    'lib/report-view.ts',
    'lib/report-cells.ts',
    'lib/report-formats.ts',
    'lib/report-lines.ts',
    'lib/report-html.ts',
    'lib/report-json.ts',
    'lib/report-markdown.ts',
    'lib/report-readers.ts',
    'lib/report-sweep-results.ts',
  ],
  testRunner: 'vitest',
  // The core is proven by the unit project; the other projects test adapters, bundles and infra.
  testFiles: ['test/unit/**/*.test.ts'],
  // Each mutant runs only the unit tests that executed its code in the initial run.
  coverageAnalysis: 'perTest',
  // Static mutants (in code run once at import: the settings table, zod schemas) are not run: with
  // `testFiles`, Stryker 10 activates them after the module loaded and reports them surviving whatever
  // the tests do (stryker-js issues 6144, 6209), and they would take three quarters of a run. The
  // table-driven validation tests prove what they hold. See docs/reliability.md, "Mutation testing".
  ignoreStatic: true,
  // A mutant that does not type-check is a compile error, not a survivor (strict TypeScript would refuse it).
  checkers: ['typescript'],
  // The core's own program (lib/ imports nothing outside it): a mutant that breaks a caller's types
  // still runs, and the unit tests judge it. Checking the whole project per mutant took most of a run.
  tsconfigFile: 'tsconfig.mutation.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  // Two workers: CI and the developers' machines have two cores.
  concurrency: 2,
  // Only what changed since the committed reports/stryker-incremental.json is tested again.
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, logTests: false, reportScoreTable: true },
  thresholds: { high: 95, low: 90, break: 90 },
  // A busy shared machine runs tests slower than the initial run measured.
  timeoutMS: 10_000,
  ignorePatterns: ['dist', 'cdk.out', 'reports', 'bench/.tmp', 'test/.tmp', '.tools', 'coverage'],
  tempDirName: '.stryker-tmp',
};

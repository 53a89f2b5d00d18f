/**
 * The "Mutation testing" section of docs/reliability.md, rendered from Stryker's committed incremental
 * report (reports/stryker-incremental.json, written by `npm run test:mutation`): the score per module
 * and every mutant marked equivalent in the code, with its reason.
 *
 * Report format: https://github.com/stryker-mutator/mutation-testing-elements (mutation-testing-report-schema).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface Mutant {
  readonly mutatorName: string;
  readonly replacement?: string;
  readonly status: string;
  readonly statusReason?: string;
  readonly static?: boolean;
  readonly location: { readonly start: { readonly line: number; readonly column: number } };
}

interface Report {
  readonly files: Record<string, { readonly mutants: readonly Mutant[] }>;
}

/** Stryker's reason for a static mutant left out by `ignoreStatic`. */
const isIgnoredStatic = (mutant: Mutant) =>
  mutant.status === 'Ignored' && (mutant.statusReason ?? '').startsWith('Static mutant');

/** Marked equivalent in the code: `// Stryker disable next-line <mutator>: <why>`. */
const isEquivalent = (mutant: Mutant) => mutant.status === 'Ignored' && !isIgnoredStatic(mutant);

function tally(mutants: readonly Mutant[]) {
  const count = (status: string) => mutants.filter((mutant) => mutant.status === status).length;
  const detected = count('Killed') + count('Timeout');
  const undetected = count('Survived') + count('NoCoverage');
  return {
    mutants: mutants.length,
    killed: count('Killed'),
    timeout: count('Timeout'),
    survived: count('Survived'),
    noCoverage: count('NoCoverage'),
    compileErrors: count('CompileError'),
    staticIgnored: mutants.filter(isIgnoredStatic).length,
    equivalent: mutants.filter(isEquivalent).length,
    score: detected + undetected === 0 ? 100 : (100 * detected) / (detected + undetected),
  };
}

const row = (name: string, t: ReturnType<typeof tally>) =>
  `| ${name} | ${t.mutants} | ${t.killed} | ${t.timeout} | ${t.survived} | ${t.noCoverage} | ${t.compileErrors} | ${t.staticIgnored} | ${t.equivalent} | ${t.score.toFixed(1)} % |`;

export function renderMutationSection(root: string): string[] {
  const file = path.join(root, 'reports', 'stryker-incremental.json');
  const intro = [
    '## Mutation testing',
    '',
    '`npm run test:mutation` runs Stryker (`stryker.config.mjs`) over the pure core (`lib/policy.ts`,',
    '`decision`, `wildcard`, `plan`, `push-history`, `scope`, `event-routing`, `org-retry`, `events`, `sweep`,',
    '`sweep-input`, `org-results`, `org-sweep`, `settings`, `config`) and the modules around it: the errors,',
    'retries and AWS adapters (ECR, Organizations, CloudTrail, STS, S3, Security Hub), the auditor and its',
    'sinks, the Security Hub sync and the evidence report, whose unit tests drive them through',
    '`aws-sdk-client-mock` and in-memory data (the table below lists every module). It changes the code one small',
    'mutation at a time (a `<` for a `<=`, a condition for `true`, a string emptied) and runs the unit tests',
    'that executed that code; a mutant no test notices is behaviour nothing checks. The run fails under a',
    'score of 90 % (`thresholds.break`).',
    '',
    '```sh',
    'npm run test:mutation                          # what changed since reports/stryker-incremental.json',
    'npm run test:mutation -- --mutate lib/plan.ts  # one module (the other modules keep their results)',
    'npm run test:mutation -- --force               # every mutant again',
    '```',
    '',
    'Incremental: the committed `reports/stryker-incremental.json` holds every mutant’s last result, and a',
    'run tests again only the mutants whose code or covering tests changed, so CI (`.ci/run`) runs it; commit',
    'the file a run rewrites. Reports: `reports/mutation/mutation.html` and `mutation.json`. Only the unit',
    'tests run (`testFiles`), each mutant only those that covered it (`coverageAnalysis: perTest`); mutants',
    'that do not type-check (`checkers: typescript`, on `tsconfig.mutation.json`: `lib/` alone) count as',
    'compile errors, not survivors.',
    '',
    'The vitest runner reports tests by name, not by where they are, so Stryker sees a test whose body',
    'changed under the same name as unchanged: after strengthening the tests of a module, run',
    '`npm run test:mutation -- --force --mutate lib/<module>.ts` so that its survivors are tested again. A',
    'marker is read only before a statement or an expression on its own line, not before a chained',
    '`.method(…)`: put such code in its own statement.',
    '',
    'Static mutants (in code run once at import: the settings table, zod schemas) are not run',
    '(`ignoreStatic`): with the run limited to the unit tests, Stryker 10 activates them too late and reports',
    'them surviving whatever the tests do (stryker-js issues 6144 and 6209; seen here: the scheduled-event',
    'schema emptied “survived” although `treats a scheduled event from aws.events as a full sweep` fails on',
    'it), and they would take three quarters of a run. The validation they hold is proven by the table-driven',
    'tests of each schema.',
    '',
  ];
  if (!existsSync(file)) return [...intro, '`npm run test:mutation` has not been run yet.', ''];
  const report = JSON.parse(readFileSync(file, 'utf8')) as Report;
  const modules = Object.entries(report.files).sort(([a], [b]) => a.localeCompare(b));
  const all = modules.flatMap(([, { mutants }]) => mutants);
  const equivalent = modules.flatMap(([name, { mutants }]) =>
    mutants
      .filter(isEquivalent)
      .map(
        (mutant) =>
          `- \`${name}:${mutant.location.start.line}\` ${mutant.mutatorName}${mutant.replacement === undefined ? '' : ` (\`${mutant.replacement.replaceAll('\n', ' ').replaceAll('`', "'")}\`)`}: ${(mutant.statusReason ?? '').replace(/^[A-Za-z]+: /, '').trim()}`,
      ),
  );
  return [
    ...intro,
    'Scores of the run recorded in `reports/stryker-incremental.json` (score: killed and timed out over',
    'killed, timed out, survived and without coverage):',
    '',
    '| Module | Mutants | Killed | Timed out | Survived | No coverage | Compile errors | Static (not run) | Marked (not run) | Score |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
    ...modules.map(([name, { mutants }]) => row(`\`${name}\``, tally(mutants))),
    row('**all**', tally(all)),
    '',
    'Mutants left out of the score, each marked where it is (`// Stryker disable next-line <mutator>: <why>`).',
    'They are equivalent (the program behaves the same, so no test can tell them from the code) or',
    'unreachable; a marker covers every mutant of its kind on its line, so where it also covers a sibling',
    'that tests do kill, its reason says so:',
    '',
    ...(equivalent.length > 0 ? equivalent : ['- none']),
    '',
  ];
}

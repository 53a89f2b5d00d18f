/**
 * Renders docs/reliability.md from what the reliability suite measured: the JSON results each
 * scenario of test/reliability/ writes once its assertions pass (RELIABILITY_RESULTS_DIR, default
 * <tmp>/ecr-guard-reliability), the corpus table, the last `npm run test:moto` run if any, and the
 * mutation scores of the committed reports/stryker-incremental.json (scripts/mutation-report.ts).
 *
 *   npm run test:reliability          # build, run test/reliability, render the report
 *   node scripts/reliability-report.ts [--check]   # render only; --check fails when results are missing
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderMutationSection } from './mutation-report.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const resultsDir = process.env.RELIABILITY_RESULTS_DIR ?? path.join(tmpdir(), 'ecr-guard-reliability');
const output = path.join(root, 'docs', 'reliability.md');

interface Result {
  id: string;
  group: 'sweep' | 'guardrail' | 'input' | 'security';
  title: string;
  faults: string;
  repositories: number;
  work: string;
  outcomes: Record<string, number>;
  injected: Record<string, number>;
  writes: number;
  after: string;
  verified: string[];
  durationMs: number;
  recordedAt: string;
}

interface CorpusEntry {
  file: string;
  about: string;
  expect: string;
  field?: string;
  reason?: string;
}

interface MotoRun {
  motoVersion: string;
  recordedAt: string;
  numTotalTests: number;
  numPassedTests: number;
  numFailedTests: number;
  /** Visible skips (tests that need the emulator); absent in records written before they were counted. */
  numPendingTests?: number;
  success: boolean;
  /** Per end-to-end file: its tests, and what moto skipped with why; absent in records written before. */
  files?: MotoFile[];
  /** The organisation proof (scripts/moto-org.ts); absent in records written before it existed. */
  organization?: {
    ok: boolean;
    accounts: number;
    regions: number;
    repositories: number;
    mutable: number;
    runResult: string;
    statusCounts: Record<string, number>;
    failedErrorCodes: string[];
    secondRunRemediated: number;
  };
}

interface MotoFile {
  file: string;
  tests: number;
  passed: number;
  failed: number;
  skipped: { name: string; reason?: string }[];
}

/**
 * A test moto skipped that `npm test` runs: it needs what only the emulator has (`itOnEmulator`), or
 * runs once, on the emulator (`itInEmulatorRun`), both in test/e2e/backend.ts.
 */
const runsOnEmulator = (reason: string | undefined) =>
  reason !== undefined && (reason.startsWith("needs the emulator's") || reason.endsWith('npm test runs it'));

/** What ran where: per end-to-end file, the tests on the emulator and on moto, and each moto skip with why. */
function whatRunsWhere(files: readonly MotoFile[]): string[] {
  const total = (pick: (file: MotoFile) => number) => files.reduce((sum, file) => sum + pick(file), 0);
  const onEmulator = (file: MotoFile) =>
    file.tests - file.skipped.filter((skip) => !runsOnEmulator(skip.reason)).length;
  return [
    '| File | Tests | On the emulator (`npm test`) | On moto (`npm run test:moto`) | Skipped on moto |',
    '|---|--:|--:|--:|--:|',
    ...files.map(
      (file) =>
        `| \`${file.file.replace(/^test\/e2e\//, '')}\` | ${file.tests} | ${onEmulator(file)} | ${file.passed}${file.failed > 0 ? ` (${file.failed} failed)` : ''} | ${file.skipped.length} |`,
    ),
    `| **all** | ${total((file) => file.tests)} | ${total(onEmulator)} | ${total((file) => file.passed)} | ${total((file) => file.skipped.length)} |`,
    '',
    'Each test moto skips, and why (its name says so in the run):',
    '',
    ...files.flatMap((file) =>
      file.skipped.map(
        (skip) =>
          `- \`${file.file.replace(/^test\/e2e\//, '')}\`: ${skip.name} — ${skip.reason ?? 'NO REASON GIVEN'}`,
      ),
    ),
  ];
}

function readResults(): Result[] {
  if (!existsSync(resultsDir)) return [];
  return readdirSync(resultsDir)
    .filter((file) => file.endsWith('.json') && file !== 'moto.json')
    .map((file) => JSON.parse(readFileSync(path.join(resultsDir, file), 'utf8')) as Result)
    .sort((a, b) => a.id.localeCompare(b.id));
}

function readMoto(): MotoRun | undefined {
  const file = path.join(resultsDir, 'moto.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as MotoRun) : undefined;
}

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');
const counts = (values: Record<string, number>) =>
  Object.entries(values)
    .filter(([, count]) => count > 0)
    .map(([key, count]) => `${count.toLocaleString('en-US')} ${key}`)
    .join(', ') || '—';

function scenarioTable(results: readonly Result[], unit: string): string[] {
  return [
    `| Scenario | Faults injected | ${unit} | Work | Outcomes | Errors the backend answered | Writes | After the faults stop | Nothing lost | Time |`,
    '|---|---|--:|---|---|---|--:|---|---|--:|',
    ...results.map(
      (result) =>
        `| ${cell(result.title)} | ${cell(result.faults)} | ${result.repositories.toLocaleString('en-US')} | ${cell(result.work)} | ${cell(counts(result.outcomes))} | ${cell(counts(result.injected))} | ${result.writes} | ${cell(result.after)} | verified ✓ | ${(result.durationMs / 1000).toFixed(0)} s |`,
    ),
  ];
}

/** The invariants, once per group: what all of a group's scenarios asserted, then each one's own. */
function verifiedList(results: readonly Result[]): string[] {
  const lines: string[] = [];
  const groups: [Result['group'], string][] = [
    ['sweep', 'Every sweep scenario'],
    ['guardrail', 'The guardrail scenarios'],
    ['input', 'Bad input'],
    ['security', 'Security'],
  ];
  for (const [group, heading] of groups) {
    const members = results.filter((result) => result.group === group);
    if (members.length === 0) continue;
    const common =
      members.length > 1
        ? (members[0]?.verified ?? []).filter((item) =>
            members.every((member) => member.verified.includes(item)),
          )
        : [];
    lines.push(`- **${heading}**`);
    for (const item of common) lines.push(`  - ${item}`);
    for (const member of members) {
      const own = member.verified.filter((item) => !common.includes(item));
      if (own.length === 0) continue;
      if (members.length === 1) {
        for (const item of own) lines.push(`  - ${item}`);
      } else {
        lines.push(`  - ${member.title}:`);
        for (const item of own) lines.push(`    - ${item}`);
      }
    }
  }
  return lines;
}

function render(
  results: readonly Result[],
  corpus: readonly CorpusEntry[],
  moto: MotoRun | undefined,
): string {
  const by = (group: Result['group']) => results.filter((result) => result.group === group);
  const latest =
    results
      .map((result) => result.recordedAt)
      .sort()
      .at(-1) ?? 'never';
  const lines = [
    '# Reliability',
    '',
    '<!-- Generated by scripts/reliability-report.ts from the results of test/reliability/. Do not edit by hand. -->',
    '',
    'A guardrail that fails silently is worse than none. This report is what the reliability suite',
    '(`test/reliability/`) measured the last time it ran; every row is a scenario whose assertions passed.',
    'The built bundles (`dist/guardrail`, `dist/sweep`) run in their own processes as Lambda would run',
    'them, through the unmodified AWS SDK, against the embedded emulator (`emulator/`) with faults',
    'injected through `POST /_emulator/faults`. A recording proxy between the functions and the emulator',
    'counts every write on the wire.',
    '',
    'Rerun it (about a minute; part of `npm test`):',
    '',
    '```sh',
    'npm run test:reliability   # npm run build && vitest run test/reliability && node scripts/reliability-report.ts',
    'npm run test:moto          # the end-to-end suite against moto, when Python with moto is installed',
    '```',
    '',
    `Last run: ${latest} — Node ${process.version}, ${cpus().length} CPU(s). Times are wall-clock on that machine, for orientation only; nothing asserts them.`,
    '',
    '## Sweeps under faults',
    '',
    'Each sweep runs against its own registry of 5,000 repositories (compliant, MUTABLE,',
    '`MUTABLE_WITH_EXCLUSION`, `IMMUTABLE_WITH_EXCLUSION`, tagged, exempt by name under `sandbox/**`',
    'and exempt by the `ecr-guard:exempt` tag, shuffled over every page), driven like the Step Functions',
    'loop: invoke, then invoke again with the returned `nextToken` until there is none. Then the faults',
    'stop and a fresh scheduled sweep runs.',
    '',
    ...scenarioTable(by('sweep'), 'Repositories'),
    '',
    '## The guardrail under faults',
    '',
    'Events go to a pool of guardrail containers (the function’s reserved concurrency is 5), as async',
    'invoke delivers them: up to three attempts per event, then the dead-letter queue, which is redriven',
    'once the faults stop.',
    '',
    ...scenarioTable(by('guardrail'), 'Repositories'),
    '',
    '## Bad input',
    '',
    ...scenarioTable(by('input'), 'Repositories'),
    '',
    `The corpus (\`test/reliability/corpus/\`, expectations in \`expected.json\`): ${corpus.length} events.`,
    '',
    '| File | What it is | Expected |',
    '|---|---|---|',
    ...corpus.map((entry) => {
      const expected =
        entry.expect === 'invalid'
          ? `\`InvalidEventError\` naming \`${entry.field}\`, no ECR call`
          : entry.expect === 'ignored'
            ? `ignored (“…${entry.reason}…”), no ECR call`
            : 'remediated: 1 describe, 1 write';
      return `| \`${entry.file}\` | ${cell(entry.about)} | ${cell(expected)} |`;
    }),
    '',
    '## Security',
    '',
    ...scenarioTable(by('security'), 'Repositories'),
    '',
    'CI also runs `npm audit --omit=dev --audit-level=high` (no high or critical vulnerability in what',
    'ships) and, when `cfn-lint` is installed, lints the synthesized templates (`cdk.out/*.template.json`).',
    '',
    '## A second ECR implementation: moto',
    '',
    moto === undefined
      ? '`npm run test:moto` has not been run on this machine; CI runs it when `python3 -c "import moto"` succeeds.'
      : `Last \`npm run test:moto\`: moto ${moto.motoVersion}, ${moto.recordedAt}: ${moto.numPassedTests} of ${moto.numTotalTests} end-to-end tests passed${moto.numFailedTests > 0 ? `, ${moto.numFailedTests} failed` : ''}${(moto.numPendingTests ?? 0) > 0 ? `, ${moto.numPendingTests} skipped (each a visible skip whose name says why: listed below)` : ''}.`,
    '',
    ...(moto?.organization === undefined
      ? []
      : [
          `Organisation proof in that run: ${moto.organization.ok ? 'passed' : 'FAILED'}: ${moto.organization.repositories} repositories (${moto.organization.mutable} MUTABLE) in ${moto.organization.accounts} accounts × ${moto.organization.regions} regions; account-regions ${Object.entries(
            moto.organization.statusCounts,
          )
            .map(([status, count]) => `${count} ${status}`)
            .join(
              ', ',
            )} (failed with ${moto.organization.failedErrorCodes.join(', ') || 'no code'}); run result \`${moto.organization.runResult}\`; a second run remediated ${moto.organization.secondRunRemediated}.`,
          '',
        ]),
    '`npm run test:moto` starts moto’s server (`scripts/moto-server.ts`) on a free loopback port and runs the',
    'end-to-end tests (`test/e2e`), one file at a time, with `E2E_ECR_ENDPOINT` pointing at it. The code under',
    'test (the built CLI and bundles, or the library) reaches either backend through a recording pass-through',
    '(`test/e2e/recorder.ts`) that counts its calls per operation (JSON, Query and S3 protocols), keeps how',
    'each ended and the audit events it put, so call counts and audit events are asserted against moto too.',
    'The organisation tests start a moto of their own (`test/e2e/org-backend.ts`): the organisation is made',
    'through the real APIs (`CreateOrganization`, `CreateAccount`, `CloseAccount`, IAM roles and users), as',
    '`scripts/moto.ts` makes it for the organisation proof below, then moto’s IAM checks are turned on, and',
    'those are the server’s. The tests seed through ECR’s own API there (`CreateRepository`, `TagResource`),',
    'not the emulator’s control routes. A test that needs what only the emulator has is a visible skip whose',
    'name says why (`itOnEmulator` in `test/e2e/backend.ts`); a long test whose subject is not the backend',
    'runs on the emulator only, named likewise (`itInEmulatorRun`).',
    '',
    ...(moto?.files === undefined ? [] : ['### What runs where', '', ...whatRunsWhere(moto.files), '']),
    'Where moto 5 differs from AWS, and what follows for the tests:',
    '',
    '- `DescribeRepositories` ignores `maxResults` and `nextToken`: every repository comes in one page. The',
    '  `ceil(N/1000)` describes still hold (one for moto’s registry of 122), and the resumption test still',
    '  resumes some twenty times (its clock budget scales with the registry), but inside that one page: only',
    '  the emulator run crosses a page boundary (as `test/unit/sweep.test.ts` does).',
    '- `PutEvents` to a bus that does not exist is refused, as EventBridge does (the emulator’s sink accepts',
    '  any bus), so the audit-event test creates its bus first.',
    '- No fault injection, visibility delay, call latency or event delivery of recorded calls: the tests that',
    '  inject throttling, server errors, access denied or latency, and the roll-out (its guardrail is fed by',
    '  the emulator’s delivery of the push it refuses), are skipped.',
    '- No CloudTrail `LookupEvents` (moto answers HTTP 500): `plan` reads the PutImage history from it, so',
    '  every `plan` test needs the emulator’s trail of seeded pushes.',
    '- No repository creation templates (`DescribeRepositoryCreationTemplates` answers HTTP 500).',
    '- `ListAccounts` lists the organisation’s accounts to its management account only: a member, delegated',
    '  administrator or not, gets an empty list, so the delegated administrator’s tests are skipped.',
    '- `DescribeRepositories` with another account’s `registryId` answers an empty registry, where ECR answers',
    '  `AccessDeniedException` unless a repository policy lets the caller in.',
    '- With its IAM checks on, moto checks S3 request signatures and refuses an object key with `:`, `+` or',
    '  `=` (`SignatureDoesNotMatch`: it signs the key decoded, SigV4 signs it URI-encoded as the SDK sends it).',
    '  The one test that writes such a key (the scope’s default key holds the time) turns the checks off first.',
    '- moto issues credentials for any role ARN (its STS documentation: “the role does not need to exist”)',
    '  and checks no trust policy, so the guard’s central user is denied the member role of the account',
    '  without one explicitly: STS then answers there what AWS answers for a missing role (`AccessDenied`).',
    '- Supported as ECR does: all four `imageTagMutability` values including `*_WITH_EXCLUSION` and',
    '  `imageTagMutabilityExclusionFilters` (create, put, describe), tags (`TagResource`,',
    '  `ListTagsForResource`), the `RepositoryNotFoundException` message naming the missing repository,',
    '  the default account `123456789012` without a `registryId`. `PutImageTagMutability` answers without',
    '  the exclusion filters; the adapter then reports the filters it asked for. Organizations',
    '  (`ListAccounts`, `DescribeOrganization`, SUSPENDED accounts), STS (`GetCallerIdentity`, `AssumeRole`',
    '  into the role’s account), EventBridge rules and targets, and S3 objects behave as the tests expect.',
    '',
    'Then the organisation proof (`scripts/moto-org.ts`) on a second, fresh moto server started without',
    '`MOTO_ACCOUNT_ID`, so each request acts on the account of its access key and credentials from',
    '`AssumeRole` act on the role’s account. Set-up (`scripts/moto.ts`): `CreateOrganization`, member accounts',
    'by `CreateAccount` (one closed by `CloseAccount`: `SUSPENDED`), in each member account but one the member',
    'role `EcrImmutabilityGuardMember` (trusting the management account, allowed exactly the ECR actions',
    '`lib/iam-actions.ts` declares), a central IAM user allowed exactly the STS and Organizations actions',
    'it declares, and repositories per account-region. Then moto’s',
    'IAM checks are turned on (`POST /moto-api/reset-auth`) and the library’s organisation sweep',
    '(`scripts/org-run.ts`: `ListAccounts`, one `AssumeRole` per member account, `runOverScope` + `sweepJob`',
    'per account-region) runs as that user. Asserted per account-region: the management account (its own',
    'credentials) and the member accounts with the role completed with every MUTABLE repository remediated',
    'and the rest compliant; the account without the role failed with `AccessDenied` in both regions, with',
    'nothing scanned; the closed account skipped as `suspended`; the run’s result `failed`; four AssumeRole',
    'requests (one per member account, the failed one not repeated for its second region); a second run',
    'remediates nothing.',
    '',
    ...renderMutationSection(root),
    '## What the suite found',
    '',
    'Fixed while writing it (each scenario above now keeps the guarantee):',
    '',
    '- An event forwarded from another account or Region was acted on: for another account the',
    '  guardrail described the foreign registry (AccessDenied, a `failed` record, the dead-letter queue);',
    '  for another Region it remediated the same-named repository of its own Region and recorded the',
    '  wrong Region. It now compares the event with its own account and Region (from the function ARN)',
    '  and records `ignored` with the reason (`functions/guardrail/handler.ts`).',
    '- A resumed sweep describes its pending names 100 at a time; one throttled call that outlasted the',
    '  SDK’s retries failed all 100, compliant ones included. The batch is now retried like a page',
    '  (`lib/sweep.ts`).',
    '- Strings copied from the event into audit records and reasons (`eventName`, `source`,',
    '  `detail-type`, `account`, `region`, `eventID`, `sourceIPAddress`, `errorCode`, the actor ARN) were',
    '  unbounded: a 1 MB `eventName` made a 2 MB audit line, more than CloudWatch Logs keeps in one event',
    '  (256 KB), so the record would be cut and lost. The event schema now bounds them (`lib/events.ts`):',
    '  an over-long field we decide on is an `InvalidEventError` naming it; the audit-only ones',
    '  (`eventID`, `sourceIPAddress`, the actor) are truncated with `…`, so a valid change is still enforced.',
    '',
    'Known and measured:',
    '',
    '- Two guardrail containers handling events for the same repository at the same moment may both',
    '  write (the same value): the extra writes in the five-container storm above. ECR has no conditional',
    '  write; exactly one write per change would need events ordered per repository (for example an SQS',
    '  FIFO queue grouped by repository name between the rule and the function).',
    '- Under random throttling (a quota shared with other clients, rather than our own rate) the SDK’s',
    '  adaptive retry mode slows a container to about one call per second (its floor is 0.5/s), which is',
    '  why the throttling scenarios keep few non-compliant repositories. Nothing is lost, only time;',
    '  `AWS_RETRY_MODE=standard` (honoured by both functions) trades that for more throttled calls.',
    '- A sweep that stops mid-page resumes by listing that page again (one `DescribeRepositories` call) and',
    '  skipping the repositories its token marks as decided, so the token stays under 64 KiB for any names.',
    '',
    '## What every scenario asserted',
    '',
    ...verifiedList(results),
    '',
  ];
  return `${lines.join('\n')}\n`;
}

const results = readResults();
if (process.argv.includes('--check') && results.length === 0) {
  console.error(`reliability-report: no results in ${resultsDir}; run npx vitest run test/reliability first`);
  process.exit(1);
}
const corpus = (
  JSON.parse(readFileSync(path.join(root, 'test', 'reliability', 'corpus', 'expected.json'), 'utf8')) as {
    entries: CorpusEntry[];
  }
).entries;
writeFileSync(output, render(results, corpus, readMoto()));
// The project's formatter aligns the tables, so the committed file passes `biome check`.
spawnSync(path.join(root, 'node_modules', '.bin', 'biome'), ['format', '--write', output], {
  stdio: 'ignore',
});
console.log(
  `reliability-report: ${results.length} scenario(s) from ${resultsDir} -> ${path.relative(root, output)}`,
);

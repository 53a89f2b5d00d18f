/**
 * `npm start`: the whole product on a laptop, no AWS account. Starts the embedded ECR emulator on a
 * free loopback port, seeds a small registry, then runs the three paths through the built bundles
 * exactly as Lambda would run them:
 *   1. a CloudTrail CreateRepository event through dist/guardrail (the guardrail),
 *   2. a backfill dry-run through dist/sweep (what a first roll-out starts with),
 *   3. a scheduled sweep through dist/sweep (drift found and fixed),
 *   4. an organisation sweep through dist/bin/ecr-guard (scripts/start-org.ts),
 *   5. a safe roll-out: `ecr-guard plan` from CloudTrail history, a staged exemption, the sweep flipping
 *      the safe repository, and a CI-style push of `latest` refused by ECR and recorded by dist/guardrail
 *      as `blocked-overwrite` (the emulator delivers the failed PutImage as CloudTrail's event),
 *   6. the organisation's evidence report: `ecr-guard report` of part 4's organisation as one HTML page,
 *      reports/evidence.html (scripts/start-org.ts).
 * The code under test has no emulator switch: it is pointed at the emulator only by the standard
 * AWS_ENDPOINT_URL_ECR / AWS_ENDPOINT_URL_EVENTBRIDGE variables and dummy credentials.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CreateRepositoryCommand, ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import { emulatorAdmin, startEmulator } from '../emulator/index.ts';
import { describeSetting } from '../lib/policy.ts';
import { organizationDemo } from './start-org.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';
/** Where the demo writes the organisation's evidence report (git-ignored). */
const EVIDENCE_REPORT = 'reports/evidence.html';
const colour = process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
const paint = (code: number, text: string) => (colour ? `\u001b[${code}m${text}\u001b[0m` : text);
const heading = (text: string) => console.log(`\n${paint(1, `== ${text}`)}`);

interface AuditLine {
  outcome: string;
  repositoryName?: string;
  templatePrefix?: string;
  before?: { imageTagMutability: string; exclusionFilters: string[] };
  after?: { imageTagMutability: string; exclusionFilters: string[] };
  reason: string;
  trigger: string;
  actor?: string;
}

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

function lambdaContext(name: string, remainingMs = 900_000) {
  const deadline = Date.now() + remainingMs;
  return {
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`,
    memoryLimitInMB: '512',
    awsRequestId: `demo-${Math.random().toString(16).slice(2, 10)}`,
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'demo',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => deadline - Date.now(),
  };
}

/** `instance` gives a fresh module (its SDK clients resolve the endpoints of the current environment). */
async function loadHandler(name: string, instance = ''): Promise<Handler> {
  const url = pathToFileURL(path.join(root, 'dist', name, 'index.mjs')).href;
  const module: unknown = await import(instance === '' ? url : `${url}?${instance}`);
  if (
    typeof module !== 'object' ||
    module === null ||
    !('handler' in module) ||
    typeof module.handler !== 'function'
  ) {
    throw new Error(`dist/${name}/index.mjs does not export a handler; run npm run build`);
  }
  const handler = module.handler;
  return (event, context) => Promise.resolve(handler(event, context));
}

/** Runs a handler, capturing the JSON log lines it writes so they can be shown readably. */
async function invoke(handler: Handler, event: unknown, name: string) {
  const lines: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    return true;
  }) as typeof process.stdout.write;
  let result: unknown;
  try {
    result = await handler(event, lambdaContext(name));
  } finally {
    process.stdout.write = write;
  }
  const audits: AuditLine[] = [];
  for (const line of lines) {
    try {
      const parsed = JSON.parse(line) as { message?: string } & AuditLine;
      if (parsed.message === 'ecr-guard audit') audits.push(parsed);
    } catch {
      // Not a JSON log line (EMF metrics are disabled in the demo); nothing to show.
    }
  }
  return { result, audits, rawAudit: lines.find((line) => line.includes('"ecr-guard audit"')) };
}

/** An audit record's setting, formatted as the policy formats settings in its reasons. */
function setting(value: AuditLine['before']): string {
  if (value === undefined) return '-';
  return describeSetting({ mutability: value.imageTagMutability, exclusionFilters: value.exclusionFilters });
}

function printAudits(audits: readonly AuditLine[]): void {
  for (const audit of audits) {
    const tone = audit.outcome === 'failed' ? 31 : audit.outcome === 'compliant' ? 32 : 33;
    const change =
      audit.after && setting(audit.after) !== setting(audit.before)
        ? `${setting(audit.before)} -> ${setting(audit.after)}`
        : setting(audit.before);
    const subject =
      audit.templatePrefix !== undefined ? `template ${audit.templatePrefix}` : (audit.repositoryName ?? '');
    console.log(`  ${paint(tone, audit.outcome.padEnd(16))}${subject.padEnd(30)}${change}`);
    console.log(`  ${' '.repeat(16)}${paint(2, audit.reason)}`);
  }
}

function table(rows: readonly string[][]): void {
  const widths = (rows[0] ?? []).map((_, index) => Math.max(...rows.map((row) => row[index]?.length ?? 0)));
  rows.forEach((row, index) => {
    const line = row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ');
    console.log(`  ${index === 0 ? paint(1, line) : line}`);
  });
}

/** Runs the built CLI with `env`; its JSON lines and exit code. */
function ecrGuard(args: readonly string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [path.join(root, 'dist', 'bin', 'ecr-guard.mjs'), ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  return new Promise<{ code: number | null; lines: Record<string, unknown>[] }>((resolve) =>
    child.on('close', (code) =>
      resolve({
        code,
        lines: stdout
          .split('\n')
          .filter((line) => line !== '')
          .map((line) => JSON.parse(line) as Record<string, unknown>),
      }),
    ),
  );
}

/**
 * Part 5, on its own emulator: plan → staged exemption → sweep → a blocked push on record. The
 * emulator keeps a CloudTrail trail of every call and seeded past pushes; LookupEvents serves them.
 */
async function rolloutDemo(): Promise<void> {
  let guardrail: Handler | undefined;
  const blocked: AuditLine[] = [];
  const emulator = await startEmulator({
    port: 0,
    delivery: {
      callback: async (event) => {
        if (guardrail !== undefined)
          blocked.push(...(await invoke(guardrail, event, 'ecr-immutability-guard-guardrail')).audits);
      },
    },
  });
  const admin = emulatorAdmin(emulator.url);
  try {
    const env = {
      AWS_ENDPOINT_URL_ECR: emulator.url,
      AWS_ENDPOINT_URL_CLOUDTRAIL: emulator.url,
      AWS_ENDPOINT_URL_STS: emulator.url,
      AWS_ACCESS_KEY_ID: 'demo',
      AWS_SECRET_ACCESS_KEY: 'demo',
      AWS_REGION: REGION,
    };
    const tagKeys = [
      '--exempt-tag-key',
      'ecr-guard:exempt',
      '--exempt-expiry-tag-key',
      'ecr-guard:exempt-until',
    ];
    const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();
    const ci = `arn:aws:sts::${ACCOUNT}:assumed-role/ci/build-42`;
    await admin.seed({
      region: REGION,
      repositories: [
        { name: 'shop/web', imageTagMutability: 'MUTABLE' },
        { name: 'shop/api', imageTagMutability: 'MUTABLE' },
      ],
      pushes: [
        { repositoryName: 'shop/web', tag: 'latest', at: daysAgo(9), actor: ci },
        { repositoryName: 'shop/web', tag: 'latest', at: daysAgo(4), actor: ci },
        { repositoryName: 'shop/api', tag: 'latest', at: daysAgo(8), actor: ci },
        { repositoryName: 'shop/api', tag: 'v1', at: daysAgo(7), actor: ci },
      ],
    });
    heading('5. safe roll-out: ecr-guard plan reads 30 days of CloudTrail PutImage events before any flip');
    const plan = await ecrGuard(['plan', '--json'], env);
    const verdicts = (lines: Record<string, unknown>[]) =>
      lines
        .filter((line) => line.type === 'plan')
        .map((line) => {
          const moved = Array.isArray(line.movedTags)
            ? line.movedTags.map((tag: { tag?: unknown }) => String(tag.tag)).join(' ')
            : '';
          return [
            String(line.repositoryName),
            String(line.verdict),
            moved || '-',
            String(line.staging ?? '-'),
          ];
        });
    table([['repository', 'verdict', 'moved tags', 'staging'], ...verdicts(plan.lines)]);
    console.log(`  exit ${plan.code} (3: a repository would break)`);

    const until = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    console.log(`\n  ecr-guard plan --stage-exemptions --until ${until}`);
    const staged = await ecrGuard(
      ['plan', '--json', ...tagKeys, '--stage-exemptions', '--until', until],
      env,
    );
    table([['repository', 'verdict', 'moved tags', 'staging'], ...verdicts(staged.lines)]);
    console.log(`  exit ${staged.code}`);

    console.log('\n  ecr-guard sweep');
    const swept = await ecrGuard(['sweep', '--json', ...tagKeys], env);
    const repositories = await admin.repositories({ region: REGION });
    table([
      ['repository', 'after the sweep'],
      ...repositories.repositories.map((repository) => [
        repository.repositoryName,
        repository.imageTagMutability,
      ]),
    ]);
    console.log(`  exit ${swept.code}`);

    await emulator.deliveries.idle();
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_ECR: emulator.url,
      AWS_ENDPOINT_URL_EVENTBRIDGE: emulator.url,
    });
    guardrail = await loadHandler('guardrail', 'rollout');
    const before = await admin.stats();
    console.log('\n  CI pushes a new image as shop/api:latest');
    const ecr = new ECRClient({ region: REGION, endpoint: emulator.url });
    const manifest = JSON.stringify({ schemaVersion: 2, layers: [], annotations: { build: 'ci-43' } });
    const refused = await ecr
      .send(new PutImageCommand({ repositoryName: 'shop/api', imageTag: 'latest', imageManifest: manifest }))
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    ecr.destroy();
    // The guardrail runs as the emulator delivers the failed call (it captures stdout while it runs).
    await emulator.deliveries.idle();
    if (!(refused instanceof Error) || refused.name !== 'ImageTagAlreadyExistsException')
      throw new Error(`the push of shop/api:latest was not refused as expected: ${String(refused)}`);
    console.log(`  ${paint(31, refused.name)}: ${refused.message}`);
    for (const audit of blocked) {
      console.log(
        `  ${paint(33, audit.outcome)}  ${audit.repositoryName ?? ''}  actor ${audit.actor ?? '-'}`,
      );
      console.log(`  ${paint(2, audit.reason)}`);
    }
    const after = await admin.stats();
    const made = Object.entries(after.operations)
      .map(
        ([operation, counts]) =>
          [operation, counts.calls - (before.operations[operation]?.calls ?? 0)] as const,
      )
      .filter(([, calls]) => calls > 0);
    console.log(
      `  calls since the push: ${JSON.stringify(Object.fromEntries(made))} (the push itself and the audit event; no ECR call from the guardrail)`,
    );
    if (!blocked.some((audit) => audit.outcome === 'blocked-overwrite'))
      throw new Error('the blocked push was not recorded as blocked-overwrite');
  } finally {
    await emulator.stop();
  }
}

async function main(): Promise<void> {
  const emulator = await startEmulator({ port: 0 });
  const admin = emulatorAdmin(emulator.url);
  try {
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_ECR: emulator.url,
      AWS_ENDPOINT_URL_EVENTBRIDGE: emulator.url,
      AWS_ACCESS_KEY_ID: 'demo',
      AWS_SECRET_ACCESS_KEY: 'demo',
      AWS_REGION: REGION,
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      AUDIT_EVENT_BUS_NAME: 'security-audit',
      EXEMPT_REPOSITORIES: 'sandbox/**',
      EXEMPT_TAG_KEY: 'ecr-guard:exempt',
      EXEMPT_EXPIRY_TAG_KEY: 'ecr-guard:exempt-until',
      ALLOWED_EXCLUSIONS: 'latest,dev-*',
      CHECK_CREATION_TEMPLATES: 'true',
    });
    console.log(
      `${paint(1, 'ecr-immutability-guard demo')}: emulator on ${emulator.url} (account ${ACCOUNT}, ${REGION})`,
    );
    console.log(
      'policy: target IMMUTABLE; allowed exclusions latest, dev-*; exempt sandbox/** and tag ecr-guard:exempt; templates checked',
    );

    await admin.seed({
      region: REGION,
      repositories: [
        { name: 'team-a/web', imageTagMutability: 'MUTABLE' },
        { name: 'team-a/worker', imageTagMutability: 'IMMUTABLE' },
        {
          name: 'payments/ledger',
          imageTagMutability: 'MUTABLE_WITH_EXCLUSION',
          imageTagMutabilityExclusionFilters: [{ filter: 'release-*', filterType: 'WILDCARD' }],
        },
        {
          name: 'tools/ci',
          imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
          imageTagMutabilityExclusionFilters: [{ filter: 'latest', filterType: 'WILDCARD' }],
        },
        { name: 'sandbox/experiments', imageTagMutability: 'MUTABLE' },
        {
          name: 'vendor/mirror',
          imageTagMutability: 'MUTABLE',
          tags: {
            'ecr-guard:exempt': 'upstream re-tags releases - INC-4711',
            'ecr-guard:exempt-until': '2099-01-01',
          },
        },
        {
          name: 'legacy/batch',
          imageTagMutability: 'MUTABLE',
          tags: { 'ecr-guard:exempt': 'migration', 'ecr-guard:exempt-until': '2025-06-30' },
        },
      ],
      // Pull-through-cache repositories are born from this template: MUTABLE unless the sweep fixes it.
      templates: [
        {
          prefix: 'ROOT',
          imageTagMutability: 'MUTABLE',
          appliedFor: ['PULL_THROUGH_CACHE', 'CREATE_ON_PUSH'],
        },
      ],
    });
    const templatesBefore = await admin.templates({ region: REGION });
    const before = await admin.repositories({ region: REGION });

    heading('1. guardrail: someone creates payments/api without imageTagMutability (ECR makes it MUTABLE)');
    const ecr = new ECRClient({ region: REGION });
    await ecr.send(new CreateRepositoryCommand({ repositoryName: 'payments/api' }));
    ecr.destroy();
    const event: unknown = JSON.parse(
      readFileSync(path.join(root, 'events', 'create-repository-default-mutable.json'), 'utf8'),
    );
    const guardrail = await loadHandler('guardrail');
    const first = await invoke(guardrail, event, 'ecr-immutability-guard-guardrail');
    printAudits(first.audits);
    if (first.rawAudit !== undefined)
      console.log(`\n  the audit line as CloudWatch Logs receives it:\n  ${paint(2, first.rawAudit)}`);

    const sweep = await loadHandler('sweep');
    heading('2. backfill dry-run: what a first roll-out would change (nothing is written)');
    const dryRun = await invoke(sweep, { dryRun: true }, 'ecr-immutability-guard-sweep');
    printAudits(dryRun.audits);
    console.log(`  summary: ${JSON.stringify(dryRun.result)}`);

    heading('3. scheduled sweep: drift found and fixed');
    const scheduled = {
      version: '0',
      id: '5b3f1a52-demo',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: ACCOUNT,
      time: new Date().toISOString(),
      region: REGION,
      resources: [`arn:aws:events:${REGION}:${ACCOUNT}:rule/ecr-immutability-guard-sweep`],
      detail: {},
    };
    const fixed = await invoke(sweep, scheduled, 'ecr-immutability-guard-sweep');
    printAudits(fixed.audits);
    console.log(`  summary: ${JSON.stringify(fixed.result)}`);

    heading('registry before and after');
    const after = await admin.repositories({ region: REGION });
    const beforeByName = new Map(
      before.repositories.map((repository) => [repository.repositoryName, repository]),
    );
    const show = (repository: (typeof after.repositories)[number] | undefined) =>
      repository === undefined
        ? '(not yet created)'
        : setting({
            imageTagMutability: repository.imageTagMutability,
            exclusionFilters: (repository.imageTagMutabilityExclusionFilters ?? []).map(
              (entry) => entry.filter,
            ),
          });
    table([
      ['repository', 'before', 'after'],
      ...after.repositories.map((repository) => [
        repository.repositoryName,
        show(beforeByName.get(repository.repositoryName)),
        show(repository),
      ]),
    ]);

    const templatesAfter = await admin.templates({ region: REGION });
    const templateSetting = (template: (typeof templatesAfter.templates)[number] | undefined) =>
      template === undefined
        ? '-'
        : setting({
            imageTagMutability: template.imageTagMutability,
            exclusionFilters: (template.imageTagMutabilityExclusionFilters ?? []).map(
              (entry) => entry.filter,
            ),
          });
    for (const template of templatesAfter.templates) {
      const before = templatesBefore.templates.find((candidate) => candidate.prefix === template.prefix);
      console.log(
        `  creation template ${template.prefix}: ${templateSetting(before)} -> ${templateSetting(template)}`,
      );
    }

    const stats = await admin.stats();
    const events = await admin.events();
    heading('what it cost');
    console.log(
      `  ECR calls: ${JSON.stringify(Object.fromEntries(Object.entries(stats.operations).map(([op, s]) => [op, s.calls])))}`,
    );
    console.log(`  audit events published to EventBridge bus security-audit: ${events.length}`);
    const stillMutable = after.repositories.filter(
      (repository) =>
        repository.imageTagMutability.startsWith('MUTABLE') &&
        !/^(sandbox\/|vendor\/)/.test(repository.repositoryName),
    );
    if (stillMutable.length > 0)
      throw new Error(`still mutable: ${stillMutable.map((r) => r.repositoryName).join(', ')}`);
    const organization = await organizationDemo({ heading, table });
    try {
      await rolloutDemo();
      await organization.writeReport(EVIDENCE_REPORT);
    } finally {
      await organization.stop();
    }
    console.log(
      `\n${paint(32, 'done')}: every repository is compliant or exempt, with an audit record for each decision; in the organisation, every reachable account-region is fixed and the unreachable one is counted failed (exit 1); the roll-out flipped the safe repository first and the blocked push is on record; the organisation's evidence report is ${EVIDENCE_REPORT}.`,
    );
  } finally {
    await emulator.stop();
  }
}

await main();

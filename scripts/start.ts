/**
 * `npm start`: the whole product on a laptop, no AWS account. Starts the embedded ECR emulator on a
 * free loopback port, seeds a small registry, then runs the three paths through the built bundles
 * exactly as Lambda would run them:
 *   1. a CloudTrail CreateRepository event through dist/guardrail (the guardrail),
 *   2. a backfill dry-run through dist/sweep (what a first roll-out starts with),
 *   3. a scheduled sweep through dist/sweep (drift found and fixed),
 *   4. an organisation sweep through dist/bin/ecr-guard (scripts/start-org.ts).
 * The code under test has no emulator switch: it is pointed at the emulator only by the standard
 * AWS_ENDPOINT_URL_ECR / AWS_ENDPOINT_URL_EVENTBRIDGE variables and dummy credentials.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CreateRepositoryCommand, ECRClient } from '@aws-sdk/client-ecr';
import { emulatorAdmin, startEmulator } from '../emulator/index.ts';
import { describeSetting } from '../lib/policy.ts';
import { organizationDemo } from './start-org.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';
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

async function loadHandler(name: string): Promise<Handler> {
  const module: unknown = await import(pathToFileURL(path.join(root, 'dist', name, 'index.mjs')).href);
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
    await organizationDemo({ heading, table });
    console.log(
      `\n${paint(32, 'done')}: every repository is compliant or exempt, with an audit record for each decision; in the organisation, every reachable account-region is fixed and the unreachable one is counted failed (exit 1).`,
    );
  } finally {
    await emulator.stop();
  }
}

await main();

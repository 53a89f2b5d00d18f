/**
 * The evidence report through the built CLI (dist/bin/ecr-guard.mjs) against the emulator organisation
 * (scripts/org-seed.ts, the members' registries already compliant, and exemptions by name and by tag):
 * a live report over `--org` and two Regions writes nothing to AWS and shows every account-region — the
 * management account non-compliant, the members compliant or exempt, the account without its member role
 * failed, the suspended one skipped — the exemptions expiring within 30 days first, and a SHA-256 anyone can
 * recompute. Saved output of the same state (the CLI's `--json` lines; the ResultWriter files of the built
 * sweep function's dry runs, in the emulator's S3 and on disk) gives the same matrix. README, "For auditors:
 * the evidence report".
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type AdminClient,
  emulatorAdmin,
  type OrganizationSeedRequest,
  type RunningEmulator,
  startEmulator,
} from '../../emulator/index.ts';
import {
  MANAGEMENT_ACCESS_KEY,
  ORG_ACCOUNTS,
  ORG_POLICY_FLAGS,
  ORG_REGIONS,
  ORG_ROLE_NAME,
  orgSeed,
  REPOSITORIES_PER_ACCOUNT_REGION,
} from '../../scripts/org-seed.ts';
import { CLI, hasTerminal, runBuiltCli, runBuiltCliInTerminal } from '../helpers/cli.ts';
import { fakeContext, loadBundle, restoreBundleEnv } from '../helpers/lambda.ts';
import { type Execution, resultWriterObjects } from '../helpers/state-machine.ts';

const { management, payments, analytics, legacy, closed } = ORG_ACCOUNTS;
const HOME_REGION = 'eu-west-1';
const BUCKET = 'guard-results';
const REGION_FLAGS = ORG_REGIONS.flatMap((region) => ['--region', region]);
/** The same policy as the functions read it. */
const POLICY_ENV = {
  EXEMPT_REPOSITORIES: 'sandbox/**',
  EXEMPT_TAG_KEY: 'ecr-guard:exempt',
  EXEMPT_EXPIRY_TAG_KEY: 'ecr-guard:exempt-until',
};
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
const SOON = inDays(10);
const LATER = inDays(200);

/** The demo organisation, its members' registries all IMMUTABLE (the management account's stay half MUTABLE). */
function seed(): OrganizationSeedRequest {
  const base = orgSeed();
  return {
    ...base,
    registries: (base.registries ?? []).map((registry) =>
      registry.account === payments || registry.account === analytics
        ? {
            ...registry,
            generate: {
              count: REPOSITORIES_PER_ACCOUNT_REGION,
              prefix: 'team',
              imageTagMutability: 'IMMUTABLE',
            },
          }
        : registry,
    ),
  };
}

/** What the JSON format says; the test reads only these members. */
interface JsonReport {
  readonly sha256: string;
  readonly data: {
    readonly sources: readonly {
      kind: string;
      detail: string;
      gatheredAt: string | null;
      gatheredBy: string | null;
    }[];
    readonly accountRegions: readonly unknown[];
    readonly records: readonly unknown[];
  };
  readonly summary: {
    readonly matrix: readonly {
      accountId: string;
      regions: Record<string, { kind: string; label: string; detail: string } | null>;
    }[];
    readonly exemptions: readonly {
      subject: string;
      rule: string;
      reason: string;
      expiry?: string;
      soon: boolean;
    }[];
  };
  readonly notes: readonly string[];
}

/** `account region` → the cell's kind (and, with `detail`, its words). */
function cellsOf(report: JsonReport, detail = false): Record<string, string> {
  return Object.fromEntries(
    report.summary.matrix.flatMap((row) =>
      Object.entries(row.regions).map(([region, cell]) => [
        `${row.accountId} ${region}`,
        cell === null ? 'none' : detail ? `${cell.kind}: ${cell.detail}` : cell.kind,
      ]),
    ),
  );
}

/** The canonical JSON of the data, written again here: members sorted by name, no whitespace. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null)
    return `{${Object.entries(value)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([key, member]) => `${JSON.stringify(key)}:${canonical(member)}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

const WRITES = /^(Put|Tag|Untag|Create|Delete|Update|BatchUpdate)/;

describe('ecr-guard report, end to end against the emulator organisation', () => {
  let emulator: RunningEmulator;
  let admin: AdminClient;
  let work: string;
  const env = (accessKey = MANAGEMENT_ACCESS_KEY) => ({
    AWS_ENDPOINT_URL: emulator.url,
    AWS_REGION: HOME_REGION,
    AWS_ACCESS_KEY_ID: accessKey,
    AWS_SECRET_ACCESS_KEY: 'test',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  const report = (args: readonly string[], accessKey?: string) =>
    runBuiltCli(['report', ...args], env(accessKey));
  const readJson = (file: string): JsonReport => JSON.parse(readFileSync(file, 'utf8')) as JsonReport;
  const writesSince = async (before: Awaited<ReturnType<AdminClient['stats']>>) => {
    const after = await admin.stats();
    return Object.entries(after.operations)
      .filter(
        ([operation, counts]) =>
          WRITES.test(operation) && counts.calls > (before.operations[operation]?.calls ?? 0),
      )
      .map(([operation]) => operation);
  };

  beforeAll(async () => {
    emulator = await startEmulator({
      port: 0,
      buckets: [{ name: BUCKET, account: management, region: HOME_REGION }],
    });
    admin = emulatorAdmin(emulator.url);
    work = mkdtempSync(path.join(tmpdir(), 'ecr-guard-report-'));
  });
  beforeEach(async () => {
    await admin.reset();
    await admin.organization(seed());
    await admin.seed({
      account: payments,
      region: 'eu-west-1',
      repositories: [
        {
          name: 'vendor/soon',
          imageTagMutability: 'MUTABLE',
          tags: { 'ecr-guard:exempt': 'upstream re-tags releases', 'ecr-guard:exempt-until': SOON },
        },
        {
          name: 'vendor/far',
          imageTagMutability: 'MUTABLE',
          tags: { 'ecr-guard:exempt': 'vendor image INC-4711', 'ecr-guard:exempt-until': LATER },
        },
      ],
    });
    await admin.seed({
      account: analytics,
      region: 'eu-west-1',
      repositories: [{ name: 'sandbox/tools', imageTagMutability: 'MUTABLE' }],
    });
  });
  afterEach(() => restoreBundleEnv());
  afterAll(async () => {
    await emulator.stop();
    rmSync(work, { recursive: true, force: true });
  });

  /** The live report over the organisation, as JSON. */
  async function liveReport(): Promise<JsonReport> {
    const file = path.join(work, 'live.json');
    const { code, stderr } = await report([
      '--org',
      ...REGION_FLAGS,
      ...ORG_POLICY_FLAGS,
      '--format',
      'json',
      '--output',
      file,
    ]);
    expect(stderr).toContain(`written to ${file}`);
    expect(code).toBe(0);
    return readJson(file);
  }

  it('reports live over --org and two Regions: every account-region, the exemptions soonest first, a hash that recomputes, nothing written', async () => {
    // Prepare
    const before = await admin.stats();
    // Act
    const live = await liveReport();
    // Assess: the matrix, cell by cell.
    expect(cellsOf(live, true)).toEqual({
      [`${management} eu-west-1`]: 'would-remediate: 3 compliant, 3 would-remediate',
      [`${management} us-east-1`]: 'would-remediate: 3 compliant, 3 would-remediate',
      [`${payments} eu-west-1`]: 'exempt: 6 compliant, 2 exempt',
      [`${payments} us-east-1`]: 'compliant: 6 compliant',
      [`${analytics} eu-west-1`]: 'exempt: 6 compliant, 1 exempt',
      [`${analytics} us-east-1`]: 'compliant: 6 compliant',
      [`${legacy} eu-west-1`]: expect.stringMatching(/^failed: AccessDenied: sts:AssumeRole failed/),
      [`${legacy} us-east-1`]: expect.stringMatching(/^failed: AccessDenied: sts:AssumeRole failed/),
      [`${closed} eu-west-1`]: 'skipped: suspended: account state is SUSPENDED',
      [`${closed} us-east-1`]: 'skipped: suspended: account state is SUSPENDED',
    });
    // The exemptions: the one expiring within 30 days first, then by expiry, then the name rule (no expiry).
    expect(
      live.summary.exemptions.map((row) => [row.subject, row.rule, row.reason, row.expiry ?? null, row.soon]),
    ).toEqual([
      ['vendor/soon', 'exempt-tag ecr-guard:exempt', 'upstream re-tags releases', SOON, true],
      ['vendor/far', 'exempt-tag ecr-guard:exempt', 'vendor image INC-4711', LATER, false],
      ['sandbox/tools', 'exempt-name', "repository name matches 'sandbox/**'", null, false],
    ]);
    // The hash is of the data the report carries, recomputed here without the project's code.
    expect(createHash('sha256').update(canonical(live.data), 'utf8').digest('hex')).toBe(live.sha256);
    // Who gathered it: the caller, as STS names it.
    const sts = new STSClient({
      region: HOME_REGION,
      endpoint: emulator.url,
      credentials: { accessKeyId: MANAGEMENT_ACCESS_KEY, secretAccessKey: 'test' },
    });
    const caller = await sts.send(new GetCallerIdentityCommand({}));
    sts.destroy();
    expect(live.data.sources).toEqual([
      {
        kind: 'live-dry-run',
        detail: 'the organisation × eu-west-1, us-east-1; dry run, nothing written',
        gatheredAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        gatheredBy: caller.Arn,
      },
    ]);
    // A dry run: not one write call in any account.
    expect(await writesSince(before)).toEqual([]);
    expect(
      (await admin.repositories({ account: management, region: 'eu-west-1' })).repositories.filter(
        (r) => r.imageTagMutability === 'MUTABLE',
      ),
    ).toHaveLength(3);
  }, 60_000);

  it('writes the HTML page, the data it shows and its hash included, and exits 0 however non-compliant the data', async () => {
    const file = path.join(work, 'live.html');
    const { code } = await report(['--org', ...REGION_FLAGS, ...ORG_POLICY_FLAGS, '--output', file]);
    expect(code).toBe(0);
    const html = readFileSync(file, 'utf8');
    const hash = /<code id="sha256">([0-9a-f]{64})<\/code>/.exec(html)?.[1];
    const shown = /<pre id="evidence-data">([^<]*)<\/pre>/.exec(html)?.[1] ?? '';
    const data = shown
      .replaceAll('&lt;', '<')
      .replaceAll('&gt;', '>')
      .replaceAll('&quot;', '"')
      .replaceAll('&#39;', "'")
      .replaceAll('&amp;', '&');
    expect(createHash('sha256').update(data, 'utf8').digest('hex')).toBe(hash);
    expect(html).toContain(`data-account="${legacy}" data-region="us-east-1"`);
    expect(html).not.toMatch(/<(script|img|link|iframe)\b/);
  }, 60_000);

  it('gives the same matrix and exemptions from a saved CLI --json file of the same state', async () => {
    // Prepare: the sweep's dry run saved as JSON lines.
    const saved = await runBuiltCli(
      ['sweep', '--dry-run', '--org', ...REGION_FLAGS, ...ORG_POLICY_FLAGS, '--json'],
      env(),
    );
    expect(saved.code).toBe(1); // legacy's role cannot be assumed
    const lines = path.join(work, 'run.jsonl');
    writeFileSync(lines, saved.stdout);
    const live = await liveReport();
    // Act
    const file = path.join(work, 'saved.json');
    const { code } = await report([
      '--from',
      lines,
      ...ORG_POLICY_FLAGS,
      '--format',
      'json',
      '--output',
      file,
    ]);
    // Assess
    expect(code).toBe(0);
    const fromFile = readJson(file);
    expect(cellsOf(fromFile, true)).toEqual(cellsOf(live, true));
    // No time in the saved lines: "within 30 days" counts from when the report was made, which is today too.
    expect(fromFile.summary.exemptions.map((row) => [row.subject, row.soon])).toEqual(
      live.summary.exemptions.map((row) => [row.subject, row.soon]),
    );
    expect(fromFile.data.sources).toEqual([
      { kind: 'cli-json-lines', detail: lines, gatheredAt: null, gatheredBy: null },
    ]);
    expect(fromFile.notes).toContainEqual(expect.stringContaining('saved output does not record the policy'));
  }, 60_000);

  /** The ResultWriter output of an organisation sweep of this state: each child the built sweep function's dry run. */
  async function resultWriterOutput() {
    const sweep = await loadBundle('sweep', { ...env(), ...POLICY_ENV });
    const context = {
      ...fakeContext(60_000),
      invokedFunctionArn: `arn:aws:lambda:${HOME_REGION}:${management}:function:ecr-guard-sweep`,
    };
    const results: Pick<Execution, 'name' | 'status' | 'input' | 'output' | 'error' | 'cause'>[] = [];
    for (const accountId of [management, payments, analytics, legacy]) {
      for (const region of ORG_REGIONS) {
        const input = { accountId, region, roleName: ORG_ROLE_NAME };
        const name = `${accountId}-${region}`;
        try {
          const summary = (await sweep({ ...input, dryRun: true }, context)) as Record<string, unknown>;
          // The child's Succeed state: the page's counts, as infra/sweep-workflow.ts sums them.
          results.push({ name, status: 'SUCCEEDED', input, output: { ...summary, pages: 1 } });
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          const zero = { compliant: 0, remediated: 0, 'would-remediate': 0, exempt: 0, gone: 0, failed: 0 };
          results.push({
            name,
            status: 'FAILED',
            input,
            error: error instanceof Error ? error.name : 'Error',
            cause: JSON.stringify({ accountId, region, counts: zero, scanned: 0, pages: 0, message }),
          });
        }
      }
    }
    return resultWriterObjects({
      bucket: BUCKET,
      prefix: 'results',
      stateName: 'SweepAccountRegions',
      mapRunId: 'run-1',
      results,
    });
  }

  it('gives the same matrix from an organisation sweep’s ResultWriter files, in S3 and on disk, and says the skipped account is not in them', async () => {
    // Prepare: the files in the results bucket, read with the caller's own credentials; and a local copy.
    const { objects, details } = await resultWriterOutput();
    const s3 = new S3Client({
      region: HOME_REGION,
      endpoint: emulator.url,
      forcePathStyle: true,
      credentials: { accessKeyId: MANAGEMENT_ACCESS_KEY, secretAccessKey: 'test' },
    });
    for (const object of objects)
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: object.key, Body: object.body }));
    s3.destroy();
    const folder = path.join(work, 'results');
    mkdirSync(folder, { recursive: true });
    for (const object of objects)
      writeFileSync(path.join(folder, path.posix.basename(object.key)), object.body);
    const live = await liveReport();
    // Act
    const fromS3 = path.join(work, 's3.json');
    const fromDisk = path.join(work, 'disk.json');
    const s3Run = await report([
      '--from',
      `s3://${BUCKET}/${details.ResultWriterDetails.Key}`,
      '--format',
      'json',
      '--output',
      fromS3,
    ]);
    const diskRun = await report(['--from', folder, '--format', 'json', '--output', fromDisk]);
    // Assess: every account-region the sweep ran, as the live report shows it.
    expect(s3Run.code).toBe(0);
    expect(diskRun.code).toBe(0);
    const swept = Object.fromEntries(
      Object.entries(cellsOf(live)).filter(([place]) => !place.startsWith(closed)),
    );
    const s3Report = readJson(fromS3);
    expect(cellsOf(s3Report)).toEqual(swept);
    expect(cellsOf(readJson(fromDisk))).toEqual(swept);
    // The counts too, where the sweep decided them.
    const liveCells = cellsOf(live, true);
    for (const [place, cell] of Object.entries(cellsOf(s3Report, true)))
      if (!cell.startsWith('failed')) expect(cell).toBe(liveCells[place]);
    expect(s3Report.notes).toContainEqual(
      expect.stringContaining(
        'accounts its scope skipped (suspended, excluded, the management account) are not in them',
      ),
    );
    expect(s3Report.data.sources).toEqual([
      {
        kind: 'result-writer',
        detail: `${details.MapRunArn} (s3://${BUCKET}/${details.ResultWriterDetails.Key})`,
        gatheredAt: '2026-11-30T04:00:00.000Z',
        gatheredBy: 'arn:aws:states:eu-west-1:111111111111:stateMachine:test',
      },
    ]);
  }, 90_000);

  it('shows a hostile repository name and tag value from saved output as text, never as markup', async () => {
    const hostile = '<img src=x onerror=alert(1)><script>alert(2)</script>';
    const line = {
      type: 'audit',
      outcome: 'exempt',
      repositoryName: `vendor/${hostile}`,
      registryId: payments,
      accountId: payments,
      region: 'eu-west-1',
      trigger: 'sweep',
      dryRun: false,
      reason: `rule exempt-tag: ecr-guard:exempt='${hostile}' until ${SOON}`,
    };
    const file = path.join(work, 'hostile.jsonl');
    writeFileSync(file, `${JSON.stringify(line)}\n`);
    const html = path.join(work, 'hostile.html');
    const { code } = await report(['--from', file, '--output', html]);
    expect(code).toBe(0);
    const page = readFileSync(html, 'utf8');
    expect(page).not.toMatch(/<(script|img)\b/);
    expect(page).toContain('vendor/&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;alert(2)&lt;/script&gt;');
  }, 30_000);

  it.each([
    [['--from', 'run.jsonl', '--org'], '--org: not with --from'],
    [['--from', 'run.jsonl', '--account', payments], '--account: not with --from'],
    [['--format', 'pdf'], "--format: must be one of html, md, json, got 'pdf'"],
    [
      ['--from', 's3://guard-results/scope/items.json'],
      '--from: must be the ResultWriter manifest of an earlier organisation sweep',
    ],
    [['--json'], '--json: not for report; use --format json'],
  ])('refuses %j as bad usage (exit 2) before any file or AWS call', async (args, message) => {
    const { code, stderr } = await report(args);
    expect(stderr).toContain(message);
    expect(code).toBe(2);
    expect((await admin.stats()).operations).toEqual({});
  });

  it('exits 1 and writes nothing when the data cannot be gathered', async () => {
    const missing = path.join(work, 'missing.jsonl');
    const output = path.join(work, 'never.html');
    const unreadable = await report(['--from', missing, '--output', output]);
    expect(unreadable.stderr).toContain(`--from ${missing}: cannot be read`);
    expect(unreadable.code).toBe(1);
    // A manifest whose result files are not beside it.
    const lonely = path.join(work, 'lonely');
    mkdirSync(lonely, { recursive: true });
    writeFileSync(
      path.join(lonely, 'manifest.json'),
      JSON.stringify({
        DestinationBucket: BUCKET,
        MapRunArn: 'arn:aws:states:eu-west-1:111111111111:mapRun:org/SweepAccountRegions:1',
        ResultFiles: { SUCCEEDED: [{ Key: 'results/1/SUCCEEDED_0.json', Size: 2 }] },
      }),
    );
    const incomplete = await report(['--from', lonely, '--output', output]);
    expect(incomplete.stderr).toContain('the result file results/1/SUCCEEDED_0.json it lists is not at');
    expect(incomplete.code).toBe(1);
    // An account in no organisation has no organisation to report on.
    const noOrganization = await report(
      ['--org', '--region', HOME_REGION, '--output', output],
      'AKIASTRANGER00000001',
    );
    expect(noOrganization.code).toBe(1);
    expect(() => readFileSync(output)).toThrow(/ENOENT/);
  }, 60_000);

  it('stops on Ctrl-C with exit 130 and writes no report', async () => {
    // Prepare: every DescribeRepositories answers after 5 s, so the pass is under way when Ctrl-C comes.
    await admin.faults({ DescribeRepositories: { latencyMs: 5_000 } });
    const output = path.join(work, 'interrupted.html');
    const child = spawn(process.execPath, [CLI, 'report', '--org', ...REGION_FLAGS, '--output', output], {
      env: { PATH: process.env.PATH, ...env() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const done = new Promise<number | null>((resolve) => child.on('close', resolve));
    const started = Date.now();
    // The emulator counts a call when it answers: once a member role is assumed, the listings are under way.
    while (((await admin.stats()).operations.AssumeRole?.calls ?? 0) === 0) {
      if (Date.now() - started > 20_000) throw new Error('the report never reached a member account');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Act
    child.kill('SIGINT');
    // Assess: it ends at once, not when the listings answer.
    expect(await done).toBe(130);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(stderr).toContain('interrupted: no report written');
    expect(() => readFileSync(output)).toThrow(/ENOENT/);
  }, 60_000);

  it.skipIf(!hasTerminal)(
    hasTerminal
      ? 'refuses to write HTML to a terminal (exit 2) and writes Markdown there'
      : 'refuses to write HTML to a terminal (exit 2) and writes Markdown there (skipped: util-linux script is not installed)',
    async () => {
      const html = await runBuiltCliInTerminal(
        ['report', '--account', payments, '--region', HOME_REGION],
        env(),
      );
      expect(html.screen).toContain('--output: an HTML page is not for a terminal');
      expect(html.code).toBe(2);
      const markdown = await runBuiltCliInTerminal(
        ['report', '--account', payments, '--region', HOME_REGION, '--format', 'md'],
        env(),
      );
      expect(markdown.screen).toContain('# ECR tag immutability: evidence');
      expect(markdown.code).toBe(0);
    },
    60_000,
  );
});

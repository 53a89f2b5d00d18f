/**
 * The organisation part of `npm start` (scripts/start.ts): the built CLI (dist/bin/ecr-guard.mjs) sweeps a
 * small organisation on its own emulator (scripts/org-seed.ts: four ACTIVE accounts × two regions, one
 * without its member role, one SUSPENDED; plus two exempt repositories, by tag and by name), as the
 * management account, through the member role. Everything reachable is fixed, the broken account is counted
 * `failed` with STS's code, the suspended one is listed as skipped, and the exit code is 1. The emulator is
 * kept until `writeReport`, the last step of the demo: `ecr-guard report` of the organisation as one HTML
 * page (a live dry run; README, "For auditors: the evidence report"). Throws when any of that is not so.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { emulatorAdmin, startEmulator } from '../emulator/index.ts';
import { MANAGEMENT_ACCESS_KEY, ORG_ACCOUNTS, ORG_POLICY_FLAGS, ORG_REGIONS, orgSeed } from './org-seed.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface SummaryLine {
  readonly type: string;
  readonly accountId?: string;
  readonly accountName?: string;
  readonly region?: string;
  readonly status?: string;
  readonly scanned?: number;
  readonly counts?: Readonly<Record<string, number>>;
  readonly errorCode?: string;
  readonly skipReason?: string;
}

/** Runs the built CLI; its stdout, and its stderr too when `stderr` is `pipe` (else the demo's own). */
function runCli(
  args: readonly string[],
  env: Record<string, string>,
  stderr: 'inherit' | 'pipe' = 'inherit',
) {
  const child = spawn(process.execPath, [path.join(root, 'dist', 'bin', 'ecr-guard.mjs'), ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', stderr],
  });
  let stdout = '';
  let errors = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    errors += chunk.toString();
  });
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    child.on('close', (code) => resolve({ code, stdout, stderr: errors }));
  });
}

type Out = {
  readonly heading: (text: string) => void;
  readonly table: (rows: readonly string[][]) => void;
};

/** A command line as a user would type it: words with shell wildcards in single quotes. */
const commandText = (words: readonly string[]) =>
  words.map((word) => (/[*?[\]]/.test(word) ? `'${word}'` : word)).join(' ');

export interface OrganizationDemo {
  /** The evidence report of the organisation as HTML at `file` (relative to the project); throws when it is not as expected. */
  writeReport(file: string): Promise<void>;
  stop(): Promise<void>;
}

export async function organizationDemo(out: Out): Promise<OrganizationDemo> {
  const emulator = await startEmulator({ port: 0 });
  const env = {
    AWS_ENDPOINT_URL: emulator.url,
    AWS_REGION: ORG_REGIONS[0],
    AWS_ACCESS_KEY_ID: MANAGEMENT_ACCESS_KEY,
    AWS_SECRET_ACCESS_KEY: 'demo',
  };
  const regions = ORG_REGIONS.flatMap((region) => ['--region', region]);
  try {
    const admin = emulatorAdmin(emulator.url);
    await admin.organization(orgSeed());
    // An exemption by tag expiring in 20 days, and one by name.
    const until = new Date(Date.now() + 20 * 86_400_000).toISOString().slice(0, 10);
    await admin.seed({
      account: ORG_ACCOUNTS.payments,
      region: ORG_REGIONS[0],
      repositories: [
        {
          name: 'vendor/mirror',
          imageTagMutability: 'MUTABLE',
          tags: {
            'ecr-guard:exempt': 'upstream re-tags releases - INC-4711',
            'ecr-guard:exempt-until': until,
          },
        },
      ],
    });
    await admin.seed({
      account: ORG_ACCOUNTS.analytics,
      region: ORG_REGIONS[1],
      repositories: [{ name: 'sandbox/scratch', imageTagMutability: 'MUTABLE' }],
    });
    const command = `ecr-guard sweep --org ${regions.join(' ')} ${commandText(ORG_POLICY_FLAGS)} --json`;
    out.heading(`4. organisation: ${command}`);
    console.log(
      `  as the management account ${ORG_ACCOUNTS.management}; ${ORG_ACCOUNTS.legacy} (legacy) has no member role, ${ORG_ACCOUNTS.closed} (closed) is SUSPENDED`,
    );
    const { code, stdout } = await runCli(['sweep', '--org', ...regions, ...ORG_POLICY_FLAGS, '--json'], env);
    const lines: SummaryLine[] = stdout
      .trim()
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as SummaryLine);
    const summaries = lines.filter((line) => line.type === 'summary');
    out.table([
      ['account', 'region', 'status', 'scanned', 'remediated', 'exempt', 'detail'],
      ...summaries.map((line) => [
        `${line.accountId ?? ''} ${line.accountName ?? ''}`,
        line.region ?? '',
        line.status ?? '',
        String(line.scanned ?? 0),
        String(line.counts?.remediated ?? 0),
        String(line.counts?.exempt ?? 0),
        line.errorCode ?? line.skipReason ?? '',
      ]),
    ]);
    const audits = lines.filter((line) => line.type === 'audit').length;
    const stats = await admin.stats();
    const assumeRoles = stats.operations.AssumeRole?.calls ?? 0;
    console.log(
      `  exit code ${code}: ${audits} audit lines, each with accountId and region; AssumeRole calls: ${assumeRoles} (one per member account, shared by its regions)`,
    );
    const count = (status: string) => summaries.filter((line) => line.status === status).length;
    let stillMutable = 0;
    for (const account of [ORG_ACCOUNTS.management, ORG_ACCOUNTS.payments, ORG_ACCOUNTS.analytics]) {
      for (const region of ORG_REGIONS) {
        const { repositories } = await admin.repositories({ account, region });
        stillMutable += repositories.filter(
          (repository) => repository.imageTagMutability !== 'IMMUTABLE',
        ).length;
      }
    }
    const expected = ORG_REGIONS.length;
    if (
      code !== 1 ||
      count('completed') !== 3 * expected ||
      count('failed') !== expected ||
      count('skipped') !== expected ||
      stillMutable !== 2
    ) {
      throw new Error(
        `organisation demo: exit ${code}, ${count('completed')} completed, ${count('failed')} failed, ${count('skipped')} skipped, ${stillMutable} still mutable (2 exempt expected)`,
      );
    }
  } catch (error) {
    await emulator.stop();
    throw error;
  }
  return {
    writeReport: (file) => writeReport(out, file, regions, env),
    stop: () => emulator.stop(),
  };
}

/** The evidence report of the organisation as it is now, and what it shows, read back from the page. */
async function writeReport(
  out: Out,
  file: string,
  regions: readonly string[],
  env: Record<string, string>,
): Promise<void> {
  const target = path.join(root, file);
  mkdirSync(path.dirname(target), { recursive: true });
  out.heading(
    `6. evidence report: ecr-guard report --org ${regions.join(' ')} ${commandText(ORG_POLICY_FLAGS)} --output ${file}`,
  );
  const started = Date.now();
  const { code, stderr } = await runCli(
    ['report', '--org', ...regions, ...ORG_POLICY_FLAGS, '--output', target],
    env,
    'pipe',
  );
  const seconds = (Date.now() - started) / 1000;
  if (code !== 0) throw new Error(`ecr-guard report: exit ${code}: ${stderr}`);
  const page = readFileSync(target, 'utf8');
  // The matrix as the page holds it: each cell's account, Region and kind.
  const cells = [...page.matchAll(/data-kind="([\w-]+)" data-account="(\d{12})" data-region="([\w-]+)"/g)];
  const kindOf = new Map(cells.map(([, kind, account, region]) => [`${account} ${region}`, kind ?? '']));
  out.table([
    ['account', ...ORG_REGIONS],
    ...[...new Set(cells.map(([, , account]) => account ?? ''))].map((account) => [
      account,
      ...ORG_REGIONS.map((region) => kindOf.get(`${account} ${region}`) ?? '-'),
    ]),
  ]);
  const exemptions = [...page.matchAll(/<tr class="(soon)?" data-expiry=/g)];
  const soon = exemptions.filter(([, isSoon]) => isSoon === 'soon').length;
  const sha256 = /<code id="sha256">([0-9a-f]{64})<\/code>/.exec(page)?.[1] ?? '';
  console.log(
    `  exemptions: ${exemptions.length} (${soon} expiring within 30 days, listed first); SHA-256 of its data: ${sha256}`,
  );
  console.log(
    `  written in ${seconds.toFixed(1)} s: ${file} (${statSync(target).size.toLocaleString('en')} bytes, one self-contained page: open it in a browser)`,
  );
  const expected: Record<string, string> = {
    management: 'compliant',
    payments: 'compliant',
    analytics: 'compliant',
    legacy: 'failed',
    closed: 'skipped',
  };
  const wrong = Object.entries(ORG_ACCOUNTS).flatMap(([name, account]) =>
    ORG_REGIONS.flatMap((region) => {
      const kind = kindOf.get(`${account} ${region}`);
      const exempt =
        (name === 'payments' && region === ORG_REGIONS[0]) ||
        (name === 'analytics' && region === ORG_REGIONS[1]);
      return kind === (exempt ? 'exempt' : expected[name]) ? [] : [`${account} ${region}: ${kind ?? 'none'}`];
    }),
  );
  if (wrong.length > 0 || exemptions.length !== 2 || soon !== 1 || sha256 === '')
    throw new Error(
      `the evidence report is not as expected: ${wrong.join(', ')}; ${exemptions.length} exemptions, ${soon} soon`,
    );
}

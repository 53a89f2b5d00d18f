/**
 * The organisation part of `npm start` (scripts/start.ts): the built CLI (dist/bin/ecr-guard.mjs) sweeps a
 * small organisation on its own emulator (scripts/org-seed.ts: four ACTIVE accounts × two regions, one
 * without its member role, one SUSPENDED), as the management account, through the member role. Everything
 * reachable is fixed, the broken account is counted `failed` with STS's code, the suspended one is listed as
 * skipped, and the exit code is 1. Throws when any of that is not so.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { emulatorAdmin, startEmulator } from '../emulator/index.ts';
import { MANAGEMENT_ACCESS_KEY, ORG_ACCOUNTS, ORG_REGIONS, orgSeed } from './org-seed.ts';

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

function runCli(args: readonly string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [path.join(root, 'dist', 'bin', 'ecr-guard.mjs'), ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  return new Promise<{ code: number | null; stdout: string }>((resolve) => {
    child.on('close', (code) => resolve({ code, stdout }));
  });
}

export async function organizationDemo(out: {
  readonly heading: (text: string) => void;
  readonly table: (rows: readonly string[][]) => void;
}): Promise<void> {
  const emulator = await startEmulator({ port: 0 });
  try {
    const admin = emulatorAdmin(emulator.url);
    await admin.organization(orgSeed());
    const regions = ORG_REGIONS.flatMap((region) => ['--region', region]);
    const command = `ecr-guard sweep --org ${regions.join(' ')} --json`;
    out.heading(`4. organisation: ${command}`);
    console.log(
      `  as the management account ${ORG_ACCOUNTS.management}; ${ORG_ACCOUNTS.legacy} (legacy) has no member role, ${ORG_ACCOUNTS.closed} (closed) is SUSPENDED`,
    );
    const { code, stdout } = await runCli(['sweep', '--org', ...regions, '--json'], {
      AWS_ENDPOINT_URL: emulator.url,
      AWS_REGION: ORG_REGIONS[0],
      AWS_ACCESS_KEY_ID: MANAGEMENT_ACCESS_KEY,
      AWS_SECRET_ACCESS_KEY: 'demo',
    });
    const lines: SummaryLine[] = stdout
      .trim()
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as SummaryLine);
    const summaries = lines.filter((line) => line.type === 'summary');
    out.table([
      ['account', 'region', 'status', 'scanned', 'remediated', 'detail'],
      ...summaries.map((line) => [
        `${line.accountId ?? ''} ${line.accountName ?? ''}`,
        line.region ?? '',
        line.status ?? '',
        String(line.scanned ?? 0),
        String(line.counts?.remediated ?? 0),
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
      stillMutable > 0
    ) {
      throw new Error(
        `organisation demo: exit ${code}, ${count('completed')} completed, ${count('failed')} failed, ${count('skipped')} skipped, ${stillMutable} still mutable`,
      );
    }
  } finally {
    await emulator.stop();
  }
}

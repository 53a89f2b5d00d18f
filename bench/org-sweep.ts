/**
 * Organisation sweep benchmark: the emulator seeded as an organisation (a management account that runs
 * the sweep, `accounts` member accounts each with the member role, `repositories` repositories per
 * account-region of which 1 in `mutableEvery` is MUTABLE), a put throttle configured per member account
 * (the emulator keeps its token buckets per account, region and operation, as AWS does) and a fixed added
 * latency on every call. One sweep over the whole organisation through real SDK clients
 * (scripts/org-run.ts: Organizations for the scope, AssumeRole per account, ECR per account-region), in a
 * child process whose heap and RSS are sampled. Asserted against the floors:
 *   AssumeRole = member accounts; DescribeRepositories = Σ ceil(N/1000) per account-region;
 *   successful puts = non-compliant repositories; wall time ≤ 1.2 × the throttle floor; memory flat.
 *
 * Size: the example, 50 accounts × 4 regions × 500 repositories, runs here, but this shared 2-core
 * machine (often at a load of 15) then sustains about 90 calls a second for the sweeper and the emulator
 * together, so the CPU, not the throttles, sets the pace (232 s against a 45 s throttle floor at 10 TPS ×
 * 40 account-regions, with only 88 throttled puts). Each account-region also pays about 2.5 s of the SDK's
 * adaptive retry learning its bucket, so a job must last ~15 s for the 1.2 bound to be about the
 * throttles. The default (bench/run.ts) is therefore 15 accounts × 4 regions × 500 repositories, 1 in 5
 * MUTABLE (100 puts per account-region at 4 TPS: a 24 s job), 12 account-regions at once (48 puts a second
 * in all): a 120 s floor. Every part is a flag (`--org-accounts` …).
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { emulatorAdmin, startEmulator } from '../emulator/index.ts';

export interface OrgSweepBenchOptions {
  readonly accounts: number;
  readonly regions: number;
  readonly repositories: number;
  readonly mutableEvery: number;
  /** Puts per second per account-region (token bucket, burst = tps). */
  readonly putTps: number;
  readonly latencyMs: number;
  /** Account-regions at once. */
  readonly parallel: number;
  /** Repositories at once within an account-region. */
  readonly concurrency: number;
}

interface ChildResult {
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly assumeRoleCalls: number;
  readonly result: string;
  readonly statusCounts: Record<string, number>;
  readonly totals: Record<string, number>;
  readonly scanned: number;
  readonly accounts: number;
  readonly skipped: number;
  readonly accountRegions: readonly {
    accountId: string;
    region: string;
    status: string;
    scanned: number;
    remediated: number;
    compliant: number;
    seconds: number;
  }[];
  readonly memory: {
    readonly samples: number;
    readonly heapSamples: number;
    readonly startHeapMiB: number;
    readonly startRssMiB: number;
    readonly peakHeapMiB: number;
    readonly peakRssMiB: number;
    readonly quarters: readonly { heapMiB: number; rssMiB: number }[];
    readonly retainedHeapMiB: number;
  };
}

export interface Check {
  readonly name: string;
  readonly measured: number;
  readonly floor: number;
  readonly ratio: number;
  readonly limit: string;
  readonly ok: boolean;
}

export interface OrgSweepBenchResult {
  readonly options: OrgSweepBenchOptions;
  readonly repositoriesTotal: number;
  readonly nonCompliantTotal: number;
  readonly accountRegions: number;
  readonly seconds: number;
  readonly floorSeconds: number;
  readonly floorDerivation: string;
  readonly reposPerSecond: number;
  /** CPU seconds of the sweeping process, and the machine's 1-minute load average before and after (2 cores, shared). */
  readonly sweepCpuSeconds: number;
  readonly loadAverage: { readonly before: number; readonly after: number };
  /** Seconds of one account-region's sweep: median and slowest, against the job floor. */
  readonly accountRegionSeconds: { readonly median: number; readonly max: number; readonly floor: number };
  readonly calls: Record<string, number>;
  readonly throttlesSeen: number;
  readonly statusCounts: Record<string, number>;
  readonly totals: Record<string, number>;
  readonly memory: ChildResult['memory'];
  readonly checks: readonly Check[];
  readonly ok: boolean;
}

const MANAGEMENT = '100000000000';
const MANAGEMENT_KEY = 'AKIABENCHMANAGEMENT1';
const ROLE = 'EcrImmutabilityGuardMember';
const REGION_NAMES = [
  'eu-west-1',
  'us-east-1',
  'eu-central-1',
  'us-west-2',
  'ap-southeast-2',
  'ap-northeast-1',
  'sa-east-1',
  'ca-central-1',
];

const memberId = (index: number) => String(200000000000 + index);
const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};
const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

function runChild(root: string, options: object): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const script = path.join(root, 'bench', 'org-sweep-child.ts');
    const child = spawn(process.execPath, ['--expose-gc', script, JSON.stringify(options)], {
      env: { PATH: process.env.PATH, AWS_EC2_METADATA_DISABLED: 'true' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on('close', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0) reject(new Error(`organisation sweep child exited ${code}`));
      else resolve(JSON.parse(line) as ChildResult);
    });
  });
}

export async function runOrgSweepBench(
  root: string,
  options: OrgSweepBenchOptions,
): Promise<OrgSweepBenchResult> {
  if (options.regions > REGION_NAMES.length) throw new RangeError(`at most ${REGION_NAMES.length} regions`);
  const regions = REGION_NAMES.slice(0, options.regions);
  const members = Array.from({ length: options.accounts }, (_, index) => memberId(index + 1));
  const emulator = await startEmulator({ port: 0 });
  const admin = emulatorAdmin(emulator.url);
  try {
    await admin.organization({
      organization: { managementAccount: MANAGEMENT },
      accounts: [
        { id: MANAGEMENT, name: 'management', accessKeyIds: [MANAGEMENT_KEY] },
        ...members.map((id, index) => ({ id, name: `member-${index + 1}` })),
      ],
      roles: members.map((account) => ({ account, name: ROLE, trustedPrincipals: [MANAGEMENT] })),
      registries: members.flatMap((account) =>
        regions.map((region) => ({
          account,
          region,
          generate: { count: options.repositories, prefix: 'bench/repo', mutableEvery: options.mutableEvery },
        })),
      ),
    });
    // A put throttle per member account (its buckets are per region too) and latency on every call.
    for (const account of members) {
      await admin.faults(
        {
          seed: 1,
          '*': { latencyMs: options.latencyMs },
          PutImageTagMutability: {
            latencyMs: options.latencyMs,
            throttle: { tps: options.putTps, burst: options.putTps },
          },
        },
        { account },
      );
    }
    await admin.faults({ seed: 1, '*': { latencyMs: options.latencyMs } });

    const accountRegions = members.length * regions.length;
    const n = options.repositories;
    process.stdout.write(
      `  sweeping ${options.accounts} accounts × ${options.regions} regions × ${n.toLocaleString('en')} repositories ... `,
    );
    const loadBefore = os.loadavg()[0] ?? 0;
    const child = await runChild(root, {
      endpoint: emulator.url,
      accessKeyId: MANAGEMENT_KEY,
      ownAccountId: MANAGEMENT,
      homeRegion: regions[0],
      regions,
      excludeAccounts: [MANAGEMENT],
      maxParallel: options.parallel,
      concurrency: options.concurrency,
    });
    const loadAfter = os.loadavg()[0] ?? 0;
    const stats = await admin.stats();
    const calls = Object.fromEntries(Object.entries(stats.operations).map(([op, c]) => [op, c.calls]));
    const oks = (op: string) => stats.operations[op]?.ok ?? 0;
    const throttlesSeen = Object.values(stats.operations).reduce(
      (sum, c) => sum + (c.errors.ThrottlingException ?? 0),
      0,
    );

    // Floors. Puts per account-region P = the MUTABLE ones (generate marks every mutableEvery-th, from
    // the first); each account-region's bucket starts full (burst = tps), so the last of its puts cannot
    // pass before (P − burst) / tps seconds, after its AssumeRole and ceil(N/1000) describes of
    // latencyMs each. The sweep runs `parallel` account-regions at once, each on its own bucket; all
    // account-regions are alike, so the whole run cannot end before ceil(account-regions / parallel)
    // such jobs one after the other.
    const putsPerAccountRegion = Math.ceil(n / options.mutableEvery);
    const describesPerAccountRegion = Math.ceil(n / 1000);
    const jobFloorSeconds =
      Math.max(0, putsPerAccountRegion - options.putTps) / options.putTps +
      ((describesPerAccountRegion + 1) * options.latencyMs) / 1000;
    const waves = Math.ceil(accountRegions / options.parallel);
    const floorSeconds = waves * jobFloorSeconds;
    const floorDerivation =
      `ceil(${accountRegions} account-regions / ${options.parallel} parallel) = ${waves} × ` +
      `((${putsPerAccountRegion} puts − ${options.putTps} burst) / ${options.putTps} TPS + ` +
      `${describesPerAccountRegion + 1} calls × ${options.latencyMs} ms) = ${round(floorSeconds, 1)} s`;

    const nonCompliantTotal = putsPerAccountRegion * accountRegions;
    const describeFloor = describesPerAccountRegion * accountRegions;
    const check = (name: string, measured: number, floor: number, limit: string, ok: boolean): Check => ({
      name,
      measured: round(measured, 1),
      floor: round(floor, 1),
      ratio: floor === 0 ? 0 : round(measured / floor),
      limit,
      ok,
    });
    // The management account runs the sweep and is excluded: its account-regions are listed as skipped.
    const swept = child.accountRegions.filter((ar) => ar.accountId !== MANAGEMENT);
    const perArOk =
      swept.length === accountRegions &&
      child.accountRegions.length === accountRegions + regions.length &&
      swept.every(
        (ar) =>
          ar.status === 'completed' &&
          ar.scanned === n &&
          ar.remediated === putsPerAccountRegion &&
          ar.compliant === n - putsPerAccountRegion,
      );
    const memory = child.memory;
    const lastQuarter = memory.quarters.at(-1) ?? { heapMiB: 0, rssMiB: 0 };
    const firstQuarter = memory.quarters[0] ?? { heapMiB: 0, rssMiB: 0 };
    const checks: Check[] = [
      check(
        'AssumeRole calls',
        calls.AssumeRole ?? 0,
        members.length,
        '= accounts',
        (calls.AssumeRole ?? 0) === members.length,
      ),
      check(
        'DescribeRepositories calls',
        calls.DescribeRepositories ?? 0,
        describeFloor,
        '= Σ ceil(N/1000)',
        (calls.DescribeRepositories ?? 0) === describeFloor,
      ),
      check(
        'successful puts',
        oks('PutImageTagMutability'),
        nonCompliantTotal,
        '= non-compliant',
        oks('PutImageTagMutability') === nonCompliantTotal,
      ),
      check(
        'every account-region completed with its counts',
        perArOk ? accountRegions : 0,
        accountRegions,
        'all',
        perArOk && child.result === 'succeeded',
      ),
      check(
        'wall seconds',
        child.seconds,
        floorSeconds,
        '≤ 1.2 × floor',
        child.seconds <= 1.2 * floorSeconds,
      ),
      // Flat: the heap of the last quarter of the run is no higher than 1.5× that of the first quarter.
      check(
        'live heap MiB, last quarter vs first',
        lastQuarter.heapMiB,
        firstQuarter.heapMiB,
        '≤ 1.5×',
        lastQuarter.heapMiB <= 1.5 * firstQuarter.heapMiB,
      ),
      check(
        'RSS MiB, last quarter vs first',
        lastQuarter.rssMiB,
        firstQuarter.rssMiB,
        '≤ 1.5×',
        lastQuarter.rssMiB <= 1.5 * firstQuarter.rssMiB,
      ),
      check('RSS MiB, peak vs start', memory.peakRssMiB, memory.startRssMiB, 'reported', true),
      check('live heap MiB, peak vs start', memory.peakHeapMiB, memory.startHeapMiB, 'reported', true),
    ];
    const result: OrgSweepBenchResult = {
      options,
      repositoriesTotal: n * accountRegions,
      nonCompliantTotal,
      accountRegions,
      seconds: round(child.seconds, 1),
      floorSeconds: round(floorSeconds, 1),
      floorDerivation,
      reposPerSecond: Math.round((n * accountRegions) / child.seconds),
      sweepCpuSeconds: round(child.cpuSeconds, 1),
      loadAverage: { before: round(loadBefore, 1), after: round(loadAfter, 1) },
      accountRegionSeconds: {
        median: round(median(swept.map((ar) => ar.seconds))),
        max: round(Math.max(...swept.map((ar) => ar.seconds))),
        floor: round(jobFloorSeconds),
      },
      calls,
      throttlesSeen,
      statusCounts: child.statusCounts,
      totals: child.totals,
      memory: {
        ...memory,
        startHeapMiB: round(memory.startHeapMiB, 1),
        startRssMiB: round(memory.startRssMiB, 1),
        peakHeapMiB: round(memory.peakHeapMiB, 1),
        peakRssMiB: round(memory.peakRssMiB, 1),
        retainedHeapMiB: round(memory.retainedHeapMiB, 1),
        quarters: memory.quarters.map((q) => ({ heapMiB: round(q.heapMiB, 1), rssMiB: round(q.rssMiB, 1) })),
      },
      checks,
      ok: checks.every((c) => c.ok),
    };
    console.log(`${result.seconds} s (floor ${result.floorSeconds} s), ${result.reposPerSecond} repos/s`);
    return result;
  } finally {
    await emulator.stop();
  }
}

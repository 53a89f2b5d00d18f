/**
 * `npm run bench`: runs every benchmark in one process, prints tables and writes
 * bench/results.json. Figures are ratios measured in the same run (the machines are shared).
 *   npm run bench                 all parts
 *   npm run bench -- --only cold-start
 *   npm run bench -- --only cold-start --profile --against /tmp/before/dist
 * Cold start (bench/cold-start.ts): `--against <dist>` times another build's bundles in the same
 * interleaved run (a `dist/` built at an earlier commit, e.g. `git worktree add /tmp/before <commit>`, then
 * `npm ci && npm run build` there); `--profile` adds CPU profiles of the guardrail's and the bare-SDK
 * handler's cold invokes and prints their top five contributors (`--profile-runs`, default 5);
 * `--invoke-only` skips the import variants.
 *   npm run bench -- --only org-sweep --org-accounts 50 --org-regions 4 --org-repos 500
 *   npm run bench -- --only plan --plan-repos 2000 --plan-pushes 4000
 * The plan benchmark's default (10,000 repositories, 20,000 pushes) has a 200 s floor: 400 LookupEvents
 * calls at CloudTrail's 2 requests/s (bench/plan.ts); the flags give a smaller size with its own floors.
 * The organisation sweep's default size (15 accounts × 4 regions × 500 repositories, 1 in 5 MUTABLE, puts
 * at 4 TPS per account-region, 12 account-regions at once: a 120 s floor) is what this shared 2-core
 * machine sustains without the CPU, rather than the throttles, setting the pace (bench/org-sweep.ts).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runColdStartBench } from './cold-start.ts';
import { runOrgSweepBench } from './org-sweep.ts';
import { runPlanBench } from './plan.ts';
import { runSweepBench } from './sweep.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    runs: { type: 'string', default: '15' },
    against: { type: 'string' },
    profile: { type: 'boolean', default: false },
    'profile-runs': { type: 'string', default: '5' },
    'invoke-only': { type: 'boolean', default: false },
    sizes: { type: 'string', default: '10000,100000' },
    'put-tps': { type: 'string', default: '10' },
    'latency-ms': { type: 'string', default: '20' },
    concurrency: { type: 'string', default: '4' },
    'no-naive': { type: 'boolean', default: false },
    'org-accounts': { type: 'string', default: '15' },
    'org-regions': { type: 'string', default: '4' },
    'org-repos': { type: 'string', default: '500' },
    'org-mutable-every': { type: 'string', default: '5' },
    'org-put-tps': { type: 'string', default: '4' },
    'org-latency-ms': { type: 'string', default: '10' },
    'org-parallel': { type: 'string', default: '12' },
    'plan-repos': { type: 'string', default: '10000' },
    'plan-pushes': { type: 'string', default: '20000' },
    'plan-mutable-every': { type: 'string', default: '10' },
  },
});
const parts =
  values.only === undefined ? ['cold-start', 'sweep', 'org-sweep', 'plan'] : values.only.split(',');
const results: Record<string, unknown> = {
  date: new Date().toISOString(),
  node: process.version,
  machine: {
    cpus: os.cpus().length,
    model: os.cpus()[0]?.model,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  },
};

function table<Row extends object>(rows: readonly Row[], columns: readonly (keyof Row & string)[]): string {
  const cells = rows.map((row) => columns.map((column) => String(row[column] ?? '')));
  const widths = columns.map((column, index) =>
    Math.max(column.length, ...cells.map((row) => row[index]?.length ?? 0)),
  );
  const line = (row: readonly string[]) =>
    row.map((cell, index) => cell.padEnd(widths[index] ?? 0)).join('  ');
  return [line(columns), line(widths.map((width) => '-'.repeat(width))), ...cells.map(line)].join('\n');
}

if (parts.includes('cold-start')) {
  const runs = Number(values.runs);
  console.log(`cold start: median of ${runs} runs per process, interleaved`);
  const coldStart = await runColdStartBench(root, {
    runs,
    against: values.against,
    profileRuns: values.profile ? Number(values['profile-runs']) : 0,
    invokeOnly: values['invoke-only'],
  });
  results.coldStart = coldStart;
  const { invoke } = coldStart;
  console.log(
    `\ncold invoke: a fresh process imports the bundle and handles one event (Lambda's environment, the emulator on loopback over ${invoke.transport.toUpperCase()})\n` +
      `node -e 0: ${invoke.nodeBaselineMs} ms; the limit, node -e 0 and one loopback request: ${invoke.limitMs} ms (${invoke.httpLimitMs} ms over HTTP)`,
  );
  console.log(
    table(invoke.rows, [
      'bundle',
      'build',
      'initKB',
      'totalKB',
      'medianMs',
      'ratioToBareSdk',
      'ratioToLimit',
      'importEndMs',
      'eventMs',
      'cpuMs',
      'cpuRatioToBareSdk',
    ]),
  );
  for (const row of invoke.rows) {
    const calls = Object.entries(row.calls).map(([operation, count]) => `${operation} ${count}`);
    console.log(`  ${row.bundle} (${row.build}): ${row.event}; calls: ${calls.join(', ') || 'none'}`);
  }
  for (const profile of invoke.profiles ?? []) {
    console.log(
      `\nCPU profile of ${profile.label}, mean of ${profile.runs} runs: ${profile.profiledMs} ms profiled, ${profile.idleMs} ms idle`,
    );
    const lists = [
      ['self time by module', profile.selfByModule],
      ['total time by module', profile.totalByModule],
      ['self time by function', profile.selfByFunction],
      ['total time by function', profile.totalByFunction],
    ] as const;
    for (const [title, entries] of lists) {
      console.log(`  ${title}: ${entries.map((entry) => `${entry.name} ${entry.ms} ms`).join('; ')}`);
    }
  }
  if (coldStart.rows.length > 0) {
    const bare = coldStart.bareSdk;
    console.log(
      `\nimport alone (node -e "await import(bundle)"); bare SDK (ECRClient only): ${bare.initKB} KB, ${bare.medianMs} ms`,
    );
    console.log(
      table(coldStart.rows, [
        'bundle',
        'variant',
        'initKB',
        'totalKB',
        'medianMs',
        'ratioToBareSdk',
        'ratioToNodeBaseline',
      ]),
    );
  }
  console.log();
}

if (parts.includes('sweep')) {
  const options = {
    sizes: values.sizes.split(',').map(Number),
    latencyMs: Number(values['latency-ms']),
    putTps: Number(values['put-tps']),
    concurrency: Number(values.concurrency),
    naive: !values['no-naive'],
  };
  console.log(
    `sweep: ${options.sizes.join(', ')} repositories, 5 % mutable, +${options.latencyMs} ms per call, puts throttled at ${options.putTps} TPS`,
  );
  const rows = await runSweepBench(root, options);
  results.sweep = { options, rows };
  console.log(
    table(
      rows.map((row) => ({
        ...row,
        describes: row.calls.DescribeRepositories ?? 0,
        puts: row.calls.PutImageTagMutability ?? 0,
        tags: row.calls.ListTagsForResource ?? 0,
      })),
      [
        'n',
        'mode',
        'describes',
        'puts',
        'tags',
        'callFloor',
        'callsToFloor',
        'seconds',
        'floorSeconds',
        'wallToFloor',
        'reposPerSecond',
        'throttlesSeen',
        'failed',
        'maxRssMiB',
        'retainedHeapMiB',
      ],
    ),
  );
  for (const n of options.sizes) {
    const shipped = rows.find((row) => row.n === n && row.mode === 'shipped');
    const naive = rows.find((row) => row.n === n && row.mode === 'naive');
    if (shipped && naive) {
      const callsOf = (row: typeof shipped) =>
        Object.values(row.calls).reduce((sum, value) => sum + value, 0);
      console.log(
        `N=${n}: naive/shipped calls ${(callsOf(naive) / callsOf(shipped)).toFixed(2)}x, wall time ${(naive.seconds / shipped.seconds).toFixed(2)}x`,
      );
    }
  }
  console.log();
}

if (parts.includes('org-sweep')) {
  const options = {
    accounts: Number(values['org-accounts']),
    regions: Number(values['org-regions']),
    repositories: Number(values['org-repos']),
    mutableEvery: Number(values['org-mutable-every']),
    putTps: Number(values['org-put-tps']),
    latencyMs: Number(values['org-latency-ms']),
    parallel: Number(values['org-parallel']),
    concurrency: Number(values.concurrency),
  };
  console.log(
    `organisation sweep: ${options.accounts} member accounts × ${options.regions} regions × ${options.repositories} repositories (1 in ${options.mutableEvery} mutable), ` +
      `puts throttled at ${options.putTps} TPS per account-region, +${options.latencyMs} ms per call, ${options.parallel} account-regions at once`,
  );
  const org = await runOrgSweepBench(root, options);
  results.orgSweep = org;
  console.log(`floor: ${org.floorDerivation}`);
  console.log(
    `one account-region: median ${org.accountRegionSeconds.median} s, slowest ${org.accountRegionSeconds.max} s, floor ${org.accountRegionSeconds.floor} s`,
  );
  console.log(
    table(
      org.checks.map((check) => ({ ...check, result: check.ok ? 'ok' : 'FAIL' })),
      ['name', 'measured', 'floor', 'ratio', 'limit', 'result'],
    ),
  );
  console.log(
    `calls: ${Object.entries(org.calls)
      .map(([operation, count]) => `${operation} ${count}`)
      .join(
        ', ',
      )}; throttled puts retried: ${org.throttlesSeen}; memory by quarter (heap/RSS MiB): ${org.memory.quarters
      .map((quarter) => `${quarter.heapMiB}/${quarter.rssMiB}`)
      .join(', ')}`,
  );
  console.log(
    `sweeper CPU ${org.sweepCpuSeconds} s over ${org.seconds} s; load average ${org.loadAverage.before} before, ${org.loadAverage.after} after (${os.cpus().length} cores)`,
  );
  if (!org.ok) {
    console.error('organisation sweep: a check failed (see FAIL above)');
    process.exitCode = 1;
  }
  console.log();
}

if (parts.includes('plan')) {
  const options = {
    repositories: Number(values['plan-repos']),
    pushes: Number(values['plan-pushes']),
    mutableEvery: Number(values['plan-mutable-every']),
  };
  console.log(
    `plan: ${options.repositories} repositories (1 in ${options.mutableEvery} MUTABLE), ${options.pushes} pushes in the window, LookupEvents throttled at 2 req/s`,
  );
  const plan = await runPlanBench(root, options);
  results.plan = plan;
  const missed = [
    plan.lookupCalls > plan.lookupFloor
      ? `LookupEvents calls ${plan.lookupCalls} > floor ${plan.lookupFloor}`
      : '',
    plan.wallToFloor > 1.2 ? `wall time ${plan.wallToFloor} x the floor > 1.2` : '',
    plan.ecrCalls > plan.ecrCeiling ? `ECR calls ${plan.ecrCalls} > ${plan.ecrCeiling}` : '',
  ].filter((text) => text !== '');
  if (missed.length > 0) {
    console.error(`plan: ${missed.join('; ')}`);
    process.exitCode = 1;
  }
  console.log(
    table(
      [plan],
      [
        'candidates',
        'pushEvents',
        'lookupCalls',
        'lookupFloor',
        'seconds',
        'floorSeconds',
        'wallToFloor',
        'ecrCalls',
        'ecrCeiling',
        'maxRssMiB',
        'rssSecondHalfToFirst',
        'exitCode',
      ],
    ),
  );
  console.log();
}

const file = path.join(root, 'bench', 'results.json');
// With --only, keep the other parts' last results in the file.
const previous: Record<string, unknown> =
  values.only !== undefined && existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>)
    : {};
writeFileSync(file, `${JSON.stringify({ ...previous, ...results }, null, 2)}\n`);
console.log(`wrote ${path.relative(root, file)}`);

/**
 * Runs one organisation sweep (scripts/org-run.ts) in its own process, so the memory it samples is the
 * sweep's own (the emulator runs in the parent).
 *   node --expose-gc bench/org-sweep-child.ts '<json options>'
 * Options: {endpoint, accessKeyId, ownAccountId, regions, excludeAccounts, maxParallel, concurrency}.
 * Samples RSS every 100 ms and the live heap (after a full GC) every second, from just before the sweep
 * starts to its end, and prints one JSON line.
 */
import { sweepOrganization } from '../scripts/org-run.ts';

interface ChildOptions {
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly ownAccountId: string;
  readonly homeRegion: string;
  readonly regions: readonly string[];
  readonly excludeAccounts: readonly string[];
  readonly maxParallel: number;
  readonly concurrency: number;
}

const options = JSON.parse(process.argv[2] ?? '{}') as ChildOptions;
const gc = (globalThis as { gc?: () => void }).gc;
const MiB = 2 ** 20;

// RSS every 100 ms; the live heap (after a full GC, so garbage not yet collected does not count) every second.
gc?.();
const start = process.memoryUsage();
const samples: { rss: number }[] = [];
const liveHeap: number[] = [];
const sample = () => {
  samples.push({ rss: process.memoryUsage().rss });
};
const timer = setInterval(sample, 100);
const heapTimer = setInterval(() => {
  gc?.();
  liveHeap.push(process.memoryUsage().heapUsed);
}, 1000);

const started = performance.now();
const cpuBefore = process.cpuUsage();
const outcome = await sweepOrganization({
  endpoint: options.endpoint,
  credentials: { accessKeyId: options.accessKeyId, secretAccessKey: 'bench' },
  ownAccountId: options.ownAccountId,
  homeRegion: options.homeRegion,
  regions: options.regions,
  excludeAccounts: options.excludeAccounts,
  maxParallel: options.maxParallel,
  concurrency: options.concurrency,
  runId: 'bench',
});
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
clearInterval(timer);
clearInterval(heapTimer);
sample();
gc?.();
const retained = process.memoryUsage();

// Memory over the run in quarters: a flat sweep keeps the same level from the first to the last quarter.
const quarterMax = (values: readonly number[], index: number) => {
  const from = Math.floor((index * values.length) / 4);
  const to = Math.max(Math.floor(((index + 1) * values.length) / 4), from + 1);
  return Math.max(...values.slice(from, to)) / MiB;
};
const rss = samples.map((s) => s.rss);
const quarter = (index: number) => ({
  heapMiB: quarterMax(liveHeap, index),
  rssMiB: quarterMax(rss, index),
});

const { summary } = outcome;
console.log(
  JSON.stringify({
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    assumeRoleCalls: outcome.assumeRoleCalls,
    result: summary.result,
    statusCounts: summary.statusCounts,
    totals: summary.totals,
    scanned: summary.scanned,
    accounts: outcome.scope.accounts.length,
    skipped: outcome.scope.skipped.length,
    accountRegions: summary.accountRegions.map((ar) => ({
      accountId: ar.accountId,
      region: ar.region,
      status: ar.status,
      scanned: ar.scanned,
      remediated: ar.counts.remediated,
      compliant: ar.counts.compliant,
      seconds: ar.seconds,
    })),
    memory: {
      samples: samples.length,
      startHeapMiB: start.heapUsed / MiB,
      startRssMiB: start.rss / MiB,
      heapSamples: liveHeap.length,
      peakHeapMiB: Math.max(...liveHeap) / MiB,
      peakRssMiB: Math.max(...rss) / MiB,
      quarters: [0, 1, 2, 3].map(quarter),
      retainedHeapMiB: retained.heapUsed / MiB,
    },
  }),
);

/**
 * Sweep benchmark: the emulator seeded with N repositories (5 % mutable), a fixed added latency on
 * every call and a token-bucket throttle on PutImageTagMutability. For the shipped sweep and for the
 * naive baseline, in the same run: calls per operation against the floor (ceil(N/1000) describes +
 * one put per non-compliant repository), wall time and repositories per second against the
 * throttle's floor, peak RSS of the sweeping process, throttling errors seen and how many ended failed.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { emulatorAdmin, startEmulator } from '../emulator/index.ts';

export interface SweepBenchOptions {
  readonly sizes: readonly number[];
  readonly latencyMs: number;
  readonly putTps: number;
  readonly concurrency: number;
  readonly naive: boolean;
}

export interface SweepBenchRow {
  readonly n: number;
  readonly mode: 'shipped' | 'naive';
  readonly seconds: number;
  readonly reposPerSecond: number;
  readonly floorSeconds: number;
  readonly wallToFloor: number;
  readonly calls: Record<string, number>;
  readonly callFloor: number;
  readonly callsToFloor: number;
  readonly throttlesSeen: number;
  readonly failed: number;
  readonly maxRssMiB: number;
  readonly retainedHeapMiB: number;
  readonly counts: Record<string, number>;
}

interface ChildResult {
  readonly counts: Record<string, number>;
  readonly seconds: number;
  readonly maxRssMiB: number;
  readonly retainedHeapMiB: number;
}

function runChild(root: string, mode: string, concurrency: number, env: Record<string, string>) {
  return new Promise<ChildResult>((resolve, reject) => {
    const script = path.join(root, 'bench', 'sweep-child.ts');
    const child = spawn(process.execPath, ['--expose-gc', script, mode, String(concurrency)], {
      env: { PATH: process.env.PATH, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on('close', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0) reject(new Error(`sweep child ${mode} exited ${code}`));
      else resolve(JSON.parse(line) as ChildResult);
    });
  });
}

export async function runSweepBench(root: string, options: SweepBenchOptions): Promise<SweepBenchRow[]> {
  const rows: SweepBenchRow[] = [];
  const emulator = await startEmulator({ port: 0 });
  const admin = emulatorAdmin(emulator.url);
  const env = {
    AWS_ENDPOINT_URL_ECR: emulator.url,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    POWERTOOLS_LOG_LEVEL: 'WARN',
    POWERTOOLS_METRICS_DISABLED: 'true',
    SWEEP_CONCURRENCY: String(options.concurrency),
  };
  try {
    for (const n of options.sizes) {
      for (const mode of options.naive ? (['shipped', 'naive'] as const) : (['shipped'] as const)) {
        await admin.reset();
        await admin.seed({
          region: 'eu-west-1',
          generate: { count: n, prefix: 'bench/repo', mutableEvery: 20 },
        });
        await admin.faults({
          seed: 1,
          '*': { latencyMs: options.latencyMs },
          PutImageTagMutability: {
            latencyMs: options.latencyMs,
            throttle: { tps: options.putTps, burst: options.putTps },
          },
        });
        process.stdout.write(`  sweeping N=${n.toLocaleString('en')} (${mode}) ... `);
        const result = await runChild(root, mode, options.concurrency, env);
        const stats = await admin.stats();
        const calls = Object.fromEntries(Object.entries(stats.operations).map(([op, c]) => [op, c.calls]));
        const oks = Object.fromEntries(Object.entries(stats.operations).map(([op, c]) => [op, c.ok]));
        const nonCompliant = Math.ceil(n / 20);
        const callFloor = Math.ceil(n / 1000) + nonCompliant;
        const successfulCalls = Object.values(oks).reduce((sum, value) => sum + value, 0);
        // The token bucket starts full (burst = TPS), so the first `putTps` puts pass at once.
        const floorSeconds =
          Math.max(0, nonCompliant - options.putTps) / options.putTps +
          (Math.ceil(n / 1000) * options.latencyMs) / 1000;
        const throttlesSeen = Object.values(stats.operations).reduce(
          (sum, c) => sum + (c.errors.ThrottlingException ?? 0),
          0,
        );
        const row: SweepBenchRow = {
          n,
          mode,
          seconds: Math.round(result.seconds * 10) / 10,
          reposPerSecond: Math.round(n / result.seconds),
          floorSeconds: Math.round(floorSeconds * 10) / 10,
          wallToFloor: Math.round((result.seconds / floorSeconds) * 100) / 100,
          calls,
          callFloor,
          callsToFloor: Math.round((successfulCalls / callFloor) * 100) / 100,
          throttlesSeen,
          failed: result.counts.failed ?? 0,
          maxRssMiB: Math.round(result.maxRssMiB),
          retainedHeapMiB: Math.round(result.retainedHeapMiB * 10) / 10,
          counts: result.counts,
        };
        console.log(`${row.seconds} s, ${row.reposPerSecond} repos/s, ${row.maxRssMiB} MiB`);
        rows.push(row);
      }
    }
  } finally {
    await emulator.stop();
  }
  return rows;
}

/**
 * Plan benchmark (issue 15): the built CLI's `ecr-guard plan --json` over `repositories` repositories
 * (1 in `mutableEvery` MUTABLE: the candidates) with `pushes` PutImage events in the window, against the
 * emulator with CloudTrail's LookupEvents throttle on (2 requests/s per account and region). Floors:
 * LookupEvents calls ceil(events / 50) (the page size), wall time calls / 2 s; ECR calls at most one
 * DescribeRepositories per 1,000 repositories plus one call per candidate. The CLI's RSS is sampled
 * from /proc while it runs.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { emulatorAdmin, startEmulator } from '../emulator/index.ts';

export interface PlanBenchOptions {
  readonly repositories: number;
  readonly pushes: number;
  readonly mutableEvery: number;
}

const REGION = 'eu-west-1';
const SEED_CHUNK = 5_000;

function rssMiB(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] === undefined ? undefined : Number(match[1]) / 1024;
  } catch {
    return undefined;
  }
}

export async function runPlanBench(root: string, options: PlanBenchOptions) {
  const emulator = await startEmulator({ port: 0, lookupEventsThrottle: true });
  const admin = emulatorAdmin(emulator.url);
  try {
    await admin.seed({
      region: REGION,
      generate: { count: options.repositories, prefix: 'repo', mutableEvery: options.mutableEvery },
    });
    const width = String(options.repositories).length;
    const now = Date.now();
    for (let start = 0; start < options.pushes; start += SEED_CHUNK) {
      const pushes = [];
      for (let index = start; index < Math.min(options.pushes, start + SEED_CHUNK); index += 1) {
        const repository = (index % options.repositories) + 1;
        pushes.push({
          repositoryName: `repo-${String(repository).padStart(width, '0')}`,
          // Every 20th repository gets `latest` on each push (a moved tag); the others a new tag each time.
          tag: repository % 20 === 0 ? 'latest' : `v${index}`,
          at: new Date(now - ((index % 20) + 1) * 86_400_000 - index * 1000).toISOString(),
        });
      }
      await admin.seed({ region: REGION, pushes });
    }
    const before = await admin.stats();

    const started = Date.now();
    const child = spawn(
      process.execPath,
      [path.join(root, 'dist', 'bin', 'ecr-guard.mjs'), 'plan', '--json'],
      {
        env: {
          PATH: process.env.PATH ?? '',
          AWS_ENDPOINT_URL_ECR: emulator.url,
          AWS_ENDPOINT_URL_CLOUDTRAIL: emulator.url,
          AWS_ENDPOINT_URL_STS: emulator.url,
          AWS_REGION: REGION,
          AWS_ACCESS_KEY_ID: 'bench',
          AWS_SECRET_ACCESS_KEY: 'bench',
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const samples: number[] = [];
    const sampler = setInterval(() => {
      const sample = child.pid === undefined ? undefined : rssMiB(child.pid);
      if (sample !== undefined) samples.push(sample);
    }, 500);
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearInterval(sampler);
    const seconds = (Date.now() - started) / 1000;

    const lines = stdout
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const summary = lines.find((line) => line.type === 'plan-summary') ?? {};
    const after = await admin.stats();
    const calls: Record<string, number> = {};
    for (const [operation, counts] of Object.entries(after.operations)) {
      const made = counts.calls - (before.operations[operation]?.calls ?? 0);
      if (made > 0) calls[operation] = made;
    }
    const events = Number(summary.pushEvents ?? 0);
    const candidates = Number(summary.candidates ?? 0);
    const lookupCalls = calls.LookupEvents ?? 0;
    const lookupFloor = Math.ceil(events / 50);
    const floorSeconds = lookupFloor / 2;
    const ecrCalls = Object.entries(calls)
      .filter(([operation]) => operation !== 'LookupEvents')
      .reduce((sum, [, made]) => sum + made, 0);
    const ecrCeiling = Math.ceil(options.repositories / 1000) + candidates;
    const half = Math.floor(samples.length / 2);
    return {
      ...options,
      exitCode: code,
      candidates,
      safeToFlip: summary.safeToFlip,
      wouldBreak: summary.wouldBreak,
      pushEvents: events,
      lookupCalls,
      lookupFloor,
      lookupToFloor: Number((lookupCalls / Math.max(1, lookupFloor)).toFixed(2)),
      seconds: Number(seconds.toFixed(1)),
      floorSeconds,
      wallToFloor: Number((seconds / Math.max(0.5, floorSeconds)).toFixed(2)),
      ecrCalls,
      ecrCeiling,
      calls,
      maxRssMiB: Number(Math.max(0, ...samples).toFixed(1)),
      // Flat memory: the peak of the second half of the run against the peak of the first.
      rssSecondHalfToFirst: Number(
        (Math.max(0, ...samples.slice(half)) / Math.max(1, ...samples.slice(0, half))).toFixed(2),
      ),
      rssSamples: samples.length,
    };
  } finally {
    await emulator.stop();
  }
}

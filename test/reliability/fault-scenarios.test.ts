/**
 * Proven under faults: sweeps of 5,000 repositories and storms of guardrail events against the
 * emulator with injected throttling, server errors, latency, rate limits, churn, deadlines and
 * visibility delays, through the built bundles and the real SDK. Every scenario starts at once (they
 * spend their time waiting on throttled calls, so they overlap well); each test awaits and checks its own.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  GUARDRAIL_CONCURRENCY,
  runGuardrailFaults,
  runGuardrailStorm,
  runVisibilityRace,
} from './harness/guardrail-scenarios.ts';
import { credentialLeaks } from './harness/lambda.ts';
import { type ScenarioResult, writeResult } from './harness/results.ts';
import { runSweepScenario, type SweepScenario } from './harness/sweep-scenarios.ts';

const REPOSITORIES = 5_000;

const SWEEPS: readonly SweepScenario[] = [
  {
    id: 'sweep-01-throttling',
    title: '30 % throttling on every operation',
    faultsText: 'ThrottlingException on 30 % of all calls (probability)',
    // The SDK's adaptive mode slows to about 1 call/s under random throttling: few writes keep it short.
    plan: { total: REPOSITORIES, nonCompliant: 16, exemptByName: 10, exemptByTag: 0, seed: 101 },
    faults: { seed: 101, '*': { throttle: { probability: 0.3 } } },
  },
  {
    id: 'sweep-02-server-errors',
    title: '5 % ServerException on PutImageTagMutability',
    faultsText: 'HTTP 500 ServerException on 5 % of puts',
    plan: { total: REPOSITORIES, nonCompliant: 500, exemptByName: 20, exemptByTag: 20, seed: 102 },
    faults: { seed: 102, PutImageTagMutability: { serverErrorProbability: 0.05 } },
  },
  {
    id: 'sweep-03-latency',
    title: '100 ms added latency on every call',
    faultsText: '+100 ms on every call',
    plan: { total: REPOSITORIES, nonCompliant: 150, exemptByName: 20, exemptByTag: 10, seed: 103 },
    faults: { seed: 103, '*': { latencyMs: 100 } },
  },
  {
    id: 'sweep-04-put-rate-limit',
    title: 'token-bucket limit on PutImageTagMutability',
    faultsText: 'PutImageTagMutability limited to 40 calls/s, burst 5 (SWEEP_CONCURRENCY=8)',
    plan: { total: REPOSITORIES, nonCompliant: 250, exemptByName: 20, exemptByTag: 10, seed: 104 },
    faults: { seed: 104, PutImageTagMutability: { throttle: { tps: 40, burst: 5 } } },
    env: { SWEEP_CONCURRENCY: '8' },
  },
  {
    id: 'sweep-05-churn',
    title: 'repositories deleted and created while the sweep pages',
    faultsText:
      'none; 25 deleted + 25 created between invocations, 1 + 1 every 20 ms during them; time runs out after ~2,000 checks',
    plan: { total: REPOSITORIES, nonCompliant: 250, exemptByName: 20, exemptByTag: 10, seed: 105 },
    faults: { seed: 105 },
    context: { remainingMs: 900_000, budgetCalls: 2_000, thenMs: 0 },
    churn: { perResumption: 25, concurrentEveryMs: 20 },
    minInvocations: 3,
  },
  {
    id: 'sweep-06-deadline',
    title: 'a deadline that forces several resumptions',
    faultsText: 'the context runs out of time after ~2,000 checks in every invocation; a cold start each',
    plan: { total: REPOSITORIES, nonCompliant: 250, exemptByName: 20, exemptByTag: 10, seed: 106 },
    faults: { seed: 106 },
    context: { remainingMs: 900_000, budgetCalls: 2_000, thenMs: 0 },
    coldStarts: true,
    minInvocations: 4,
  },
  {
    id: 'sweep-07-everything',
    title: 'all of the above at once, with too few retries',
    faultsText:
      '30 % throttling and +100 ms on every call, puts at 5/s (burst 2) with 5 % ServerException, churn, time running out after ~4,000 checks, AWS_MAX_ATTEMPTS=2',
    plan: { total: REPOSITORIES, nonCompliant: 10, exemptByName: 5, exemptByTag: 3, seed: 107 },
    faults: {
      seed: 107,
      '*': { throttle: { probability: 0.3 }, latencyMs: 100 },
      PutImageTagMutability: { throttle: { tps: 5, burst: 2 }, serverErrorProbability: 0.05 },
    },
    env: { AWS_MAX_ATTEMPTS: '2' },
    context: { remainingMs: 900_000, budgetCalls: 4_000, thenMs: 0 },
    churn: { perResumption: 5 },
    minInvocations: 2,
    mayFail: true,
  },
];

type Settled = { ok: true; result: ScenarioResult } | { ok: false; error: unknown };
const runs = new Map<string, Promise<Settled>>();

function start(id: string, run: () => Promise<ScenarioResult>): void {
  runs.set(
    id,
    run().then(
      (result): Settled => ({ ok: true, result }),
      (error: unknown): Settled => ({ ok: false, error }),
    ),
  );
}

async function outcome(id: string): Promise<ScenarioResult> {
  const settled = await runs.get(id);
  if (settled === undefined) throw new Error(`scenario ${id} was never started`);
  if (!settled.ok) throw settled.error;
  writeResult(settled.result);
  return settled.result;
}

beforeAll(() => {
  // The slowest first: they are bound by throttled calls, the rest by CPU.
  start('guardrail-faults', runGuardrailFaults);
  for (const scenario of SWEEPS) start(scenario.id, () => runSweepScenario(scenario));
  start('storm-1', () => runGuardrailStorm(1));
  start(`storm-${GUARDRAIL_CONCURRENCY}`, () => runGuardrailStorm(GUARDRAIL_CONCURRENCY));
  start('visibility', runVisibilityRace);
});

describe('the sweep under faults (5,000 repositories each, dist/sweep against the emulator)', () => {
  it.each(SWEEPS.map((scenario) => [scenario.title, scenario.id]))(
    'keeps every invariant with %s',
    async (_title, id) => {
      const result = await outcome(id);
      expect(result.repositories).toBeGreaterThanOrEqual(REPOSITORIES);
    },
    180_000,
  );
});

describe('the guardrail under faults (dist/guardrail in a pool of containers against the emulator)', () => {
  it('ends every event as a recorded outcome or a redeliverable error, loses none, and redelivery is harmless', async () => {
    const result = await outcome('guardrail-faults');
    expect(result.writes).toBeGreaterThanOrEqual(15);
  }, 180_000);

  it('makes exactly one write per non-compliant state change in a storm of 1,000 events on one container', async () => {
    const result = await outcome('storm-1');
    expect(result.writes).toBe(70);
  }, 180_000);

  it(`bounds the writes of the same storm on ${GUARDRAIL_CONCURRENCY} containers by state changes and races`, async () => {
    const result = await outcome(`storm-${GUARDRAIL_CONCURRENCY}`);
    expect(result.writes).toBeGreaterThanOrEqual(70);
  }, 180_000);

  it('remediates a repository not yet visible after CreateRepository within its bounded retry', async () => {
    const result = await outcome('visibility');
    expect(result.writes).toBe(23);
  }, 180_000);
});

describe('the logs of every container above', () => {
  it('never carried a credential or an access key ID', async () => {
    await Promise.all(runs.values());
    expect(credentialLeaks()).toEqual([]);
  }, 180_000);
});

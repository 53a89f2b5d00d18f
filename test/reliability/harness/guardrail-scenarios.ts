/**
 * Guardrail scenarios: events delivered to a pool of guardrail containers (the function's reserved
 * concurrency is 5) as async invoke does, under faults, in storms, and against repositories that
 * ECR does not show yet.
 */
import { CreateRepositoryCommand, ECRClient, PutImageTagMutabilityCommand } from '@aws-sdk/client-ecr';
import { mulberry32 } from '../../../emulator/faults.ts';
import { type FaultInput, startEmulator } from '../../../emulator/index.ts';
import { reliableAdmin } from './admin.ts';
import {
  assertGuardrailAttempt,
  assertWritesPerStateChange,
  type Delivery,
  deliverAll,
  type EventKind,
  guardrailEvent,
  INSPECTING,
  isGuardrailSummary,
} from './guardrail.ts';
import { type Invocation, lambdaEnv, REGION, startContainer, startPool } from './lambda.ts';
import { isTarget, snapshot } from './registry.ts';
import { addCounts, type ScenarioResult } from './results.ts';
import { isSweepSummary } from './sweep.ts';
import { startWireRecorder } from './wire-recorder.ts';

/** The guardrail's default reserved concurrency (infra: guardrailReservedConcurrency). */
export const GUARDRAIL_CONCURRENCY = 5;

async function backend(seed: number) {
  // The emulator's clock may be moved forward (to end a visibility delay without waiting for it).
  let skewMs = 0;
  const emulator = await startEmulator({ port: 0, seed, now: () => Date.now() + skewMs });
  const admin = reliableAdmin(emulator.url);
  const recorder = await startWireRecorder(emulator.url);
  const outside = new ECRClient({
    region: REGION,
    endpoint: emulator.url,
    credentials: { accessKeyId: 'people', secretAccessKey: 'people' },
    maxAttempts: 10,
  });
  return {
    emulator,
    admin,
    recorder,
    outside,
    advanceClock(ms: number) {
      skewMs += ms;
    },
    async stop() {
      outside.destroy();
      await recorder.stop();
      await emulator.stop();
    },
  };
}

function shuffle<T>(items: T[], seed: number): T[] {
  const random = mulberry32(seed);
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const swap = items[i];
    const other = items[j];
    if (swap !== undefined && other !== undefined) {
      items[i] = other;
      items[j] = swap;
    }
  }
  return items;
}

function delivery(kind: EventKind, repositoryName: string): Delivery {
  return { event: guardrailEvent(kind, repositoryName), repositoryName, kind, attempts: [] };
}

function outcomesOf(invocations: readonly Invocation[]): Record<string, number> {
  const outcomes: Record<string, number> = {};
  for (const invocation of invocations) {
    if (invocation.ok && isGuardrailSummary(invocation.result)) addCounts(outcomes, invocation.result.counts);
    else
      outcomes[`thrown ${invocation.error?.code ?? invocation.error?.name}`] =
        (outcomes[`thrown ${invocation.error?.code ?? invocation.error?.name}`] ?? 0) + 1;
  }
  return outcomes;
}

function byRepository(deliveries: readonly Delivery[]): Map<string, Invocation[]> {
  const map = new Map<string, Invocation[]>();
  for (const item of deliveries) {
    map.set(item.repositoryName, [...(map.get(item.repositoryName) ?? []), ...item.attempts]);
  }
  return map;
}

/**
 * Events under throttling, server errors and latency, with too few SDK retries: every attempt ends as
 * a recorded outcome or a redeliverable error; after the dead-letter queue is redriven nothing is
 * lost and the registry is compliant; redelivering every event again changes nothing.
 */
export async function runGuardrailFaults(): Promise<ScenarioResult> {
  const started = Date.now();
  const faults: FaultInput = {
    seed: 201,
    '*': { throttle: { probability: 0.3 }, latencyMs: 100 },
    PutImageTagMutability: { serverErrorProbability: 0.05 },
  };
  const { admin, recorder, stop } = await backend(201);
  const env = lambdaEnv(recorder.url, { AWS_MAX_ATTEMPTS: '2' });
  const pools = [await startPool(GUARDRAIL_CONCURRENCY, 'guardrail', env)];
  try {
    const [pool] = pools;
    if (pool === undefined) throw new Error('no pool');
    const names = Array.from({ length: 30 }, (_, i) => `storm/faults-${String(i).padStart(2, '0')}`);
    await admin.seed({
      region: REGION,
      repositories: names.map((name, i) => ({
        name,
        imageTagMutability: i % 2 === 0 ? 'MUTABLE' : 'IMMUTABLE',
      })),
    });
    const kinds: EventKind[] = [
      'create-default',
      'put-mutable',
      'put-mutable-with-exclusion',
      'service-create',
    ];
    const deliveries = shuffle(
      [
        ...names.map((name, i) => delivery(kinds[i % kinds.length] ?? 'put-mutable', name)),
        ...names.slice(0, 10).map((name) => delivery('put-mutable', name)), // duplicates
      ],
      201,
    );
    await admin.faults(faults);
    const { deadLettered } = await deliverAll(pool, deliveries);
    const stats = await admin.stats();
    const injected: Record<string, number> = {};
    for (const counts of Object.values(stats.operations)) addCounts(injected, counts.errors);
    await admin.clearFaults();

    const attempts = deliveries.flatMap((item) => item.attempts);
    for (const attempt of attempts) assertGuardrailAttempt(attempt);
    const thrown = attempts.filter((attempt) => !attempt.ok).length;

    // The operator redrives the dead-letter queue once the faults are gone (later: new containers).
    await pool.stop();
    const later = await startPool(GUARDRAIL_CONCURRENCY, 'guardrail', env);
    pools.push(later);
    for (const item of deadLettered) {
      const invocation = await later.invoke(item.event);
      item.attempts.push(invocation);
      assertGuardrailAttempt(invocation);
      if (!invocation.ok) throw new Error(`redriven event still failed: ${JSON.stringify(invocation.error)}`);
    }
    for (const item of deliveries) {
      if (!item.attempts.some((attempt) => attempt.ok))
        throw new Error(`event for ${item.repositoryName} was lost`);
    }
    const registry = await snapshot(admin);
    const nonCompliant = names.filter((name) => !isTarget(registry.get(name)));
    if (nonCompliant.length > 0) throw new Error(`still non-compliant: ${nonCompliant.join(', ')}`);
    const stateChanges = new Map(names.map((name, i) => [name, i % 2 === 0 ? 1 : 0]));
    const extra = assertWritesPerStateChange(recorder.writes, stateChanges, byRepository(deliveries));
    const writes = recorder.writes.length;

    // Redelivering every event (as EventBridge or async invoke may) is harmless: no write at all.
    recorder.clear();
    const again = await Promise.all(deliveries.map((item) => later.invoke(item.event)));
    for (const invocation of again) assertGuardrailAttempt(invocation);
    const againOutcomes = outcomesOf(again);
    if (recorder.writes.length > 0) throw new Error(`redelivery wrote ${recorder.writes.length} time(s)`);
    if ((againOutcomes.remediated ?? 0) > 0) throw new Error('redelivery remediated again');

    return {
      id: 'guardrail-01-faults',
      group: 'guardrail',
      title: 'events under throttling, server errors and latency',
      faults: '30 % throttling and +100 ms on every call, 5 % ServerException on puts, AWS_MAX_ATTEMPTS=2',
      repositories: names.length,
      work:
        `${deliveries.length} events (10 duplicated), ${attempts.length} attempts (${thrown} threw) on ${GUARDRAIL_CONCURRENCY} containers; ` +
        `${deadLettered.length} dead-lettered after 3 attempts and redriven`,
      outcomes: outcomesOf(deliveries.flatMap((item) => item.attempts)),
      injected,
      writes,
      after: `every event redelivered once more: ${Object.entries(againOutcomes)
        .map(([outcome, count]) => `${count} ${outcome}`)
        .join(', ')}; 0 writes`,
      verified: [
        'every attempt ended as exactly one recorded outcome, or as a thrown AwsCallError (retryable: no record; permanent: one failed record with its code)',
        'no event lost: each has a recorded outcome after at most 3 attempts plus one dead-letter redrive',
        `all 15 non-compliant repositories compliant; at most one write per state change (${extra} extra from containers racing)`,
        'redelivering every event again made no write',
      ],
      durationMs: Date.now() - started,
    };
  } finally {
    await Promise.all(pools.map((pool) => pool.stop()));
    await stop();
  }
}

/**
 * 1,000 events for 100 repositories in two waves, with 20 repositories drifting back to MUTABLE
 * between them. Delivered by one container (strict: one write per state change) and by five
 * (writes bounded by state changes plus containers racing on the same repository).
 */
export async function runGuardrailStorm(concurrency: number): Promise<ScenarioResult> {
  const started = Date.now();
  const seed = 300 + concurrency;
  const { admin, recorder, outside, stop } = await backend(seed);
  const pool = await startPool(concurrency, 'guardrail', lambdaEnv(recorder.url));
  try {
    const names = Array.from({ length: 100 }, (_, i) => `storm/repo-${String(i).padStart(3, '0')}`);
    await admin.seed({
      region: REGION,
      repositories: names.map((name, i) => ({
        name,
        imageTagMutability: i % 2 === 0 ? 'MUTABLE' : 'IMMUTABLE',
      })),
    });
    const stateChanges = new Map(names.map((name, i) => [name, i % 2 === 0 ? 1 : 0]));
    const random = mulberry32(seed);
    const allKinds: EventKind[] = [...INSPECTING, 'put-immutable-echo', 'create-failed', 'delete'];
    const wave = (forced: readonly string[]): Delivery[] => {
      // Every repository that must be fixed gets one inspecting event; the rest is random noise.
      const items = forced.map((name) => delivery('put-mutable', name));
      while (items.length < 500) {
        const name = names[Math.floor(random() * names.length)] ?? 'storm/repo-000';
        items.push(delivery(allKinds[Math.floor(random() * allKinds.length)] ?? 'delete', name));
      }
      return shuffle(items, seed + forced.length);
    };

    const first = wave(names.filter((_, i) => i % 2 === 0));
    await deliverAll(pool, first);
    const afterFirst = await snapshot(admin);
    const unfixed = names.filter((name) => !isTarget(afterFirst.get(name)));
    if (unfixed.length > 0) throw new Error(`not fixed by the first wave: ${unfixed.join(', ')}`);

    // People set 20 repositories back to MUTABLE; CloudTrail emits their events in the second wave.
    const drifted = names.filter((_, i) => i % 5 === 1);
    for (const name of drifted) {
      await outside.send(
        new PutImageTagMutabilityCommand({ repositoryName: name, imageTagMutability: 'MUTABLE' }),
      );
      stateChanges.set(name, (stateChanges.get(name) ?? 0) + 1);
    }
    const second = wave(drifted);
    await deliverAll(pool, second);
    const final = await snapshot(admin);
    const left = names.filter((name) => !isTarget(final.get(name)));
    if (left.length > 0) throw new Error(`not compliant after the storm: ${left.join(', ')}`);

    const deliveries = [...first, ...second];
    const attempts = deliveries.flatMap((item) => item.attempts);
    for (const attempt of attempts) assertGuardrailAttempt(attempt);
    const extra = assertWritesPerStateChange(recorder.writes, stateChanges, byRepository(deliveries));
    const changes = [...stateChanges.values()].reduce((sum, count) => sum + count, 0);
    if (concurrency === 1 && recorder.writes.length !== changes) {
      throw new Error(`${recorder.writes.length} writes for ${changes} state changes with one container`);
    }
    return {
      id: `guardrail-0${concurrency === 1 ? 2 : 3}-storm-${concurrency}`,
      group: 'guardrail',
      title: `a storm of 1,000 events for 100 repositories, ${concurrency} container(s)`,
      faults: 'none; duplicates, our own IMMUTABLE echoes, failed calls and deletions mixed in',
      repositories: names.length,
      work: `${deliveries.length} events in 2 waves; 20 repositories drifted back to MUTABLE between them`,
      outcomes: outcomesOf(attempts),
      injected: {},
      writes: recorder.writes.length,
      after: `${changes} non-compliant state changes, ${recorder.writes.length} writes (${extra} extra from containers racing)`,
      verified: [
        'every event ended as exactly one recorded outcome',
        concurrency === 1
          ? 'exactly one write per non-compliant state change'
          : 'at most one write per state change, plus at most one per pair of events for the same repository handled at the same time',
        'every repository compliant after each wave',
      ],
      durationMs: Date.now() - started,
    };
  } finally {
    await pool.stop();
    await stop();
  }
}

/**
 * ECR creates repositories asynchronously: a describe right after CreateRepository may not find the
 * repository. With a visibility delay inside the guardrail's bounded retry (~3.75 s) it still
 * remediates; with a longer one it records `gone` (never silently) and the sweep catches it later.
 */
export async function runVisibilityRace(): Promise<ScenarioResult> {
  const started = Date.now();
  const { admin, recorder, outside, advanceClock, stop } = await backend(401);
  const pool = await startPool(GUARDRAIL_CONCURRENCY, 'guardrail', lambdaEnv(recorder.url));
  try {
    const names = Array.from({ length: 20 }, (_, i) => `fresh/repo-${String(i).padStart(2, '0')}`);
    await admin.faults({ visibilityDelayMs: 2_500 });
    await Promise.all(
      names.map((repositoryName) =>
        outside.send(new CreateRepositoryCommand({ repositoryName, imageTagMutability: 'MUTABLE' })),
      ),
    );
    const created = names.map((name) => delivery('create-default', name));
    await deliverAll(pool, created);
    for (const item of created) {
      const [attempt] = item.attempts;
      if (attempt === undefined) throw new Error('not delivered');
      assertGuardrailAttempt(attempt);
      const outcome = isGuardrailSummary(attempt.result) ? attempt.result.records[0]?.outcome : undefined;
      if (outcome !== 'remediated')
        throw new Error(`${item.repositoryName}: ${outcome} instead of remediated`);
    }

    // Far longer than the bounded retry: recorded as gone, then remediated by a sweep once visible.
    const late = ['fresh/late-a', 'fresh/late-b', 'fresh/late-c'];
    await admin.faults({ visibilityDelayMs: 600_000 });
    for (const repositoryName of late) {
      await outside.send(new CreateRepositoryCommand({ repositoryName, imageTagMutability: 'MUTABLE' }));
    }
    const lateDeliveries = late.map((name) => delivery('create-default', name));
    await deliverAll(pool, lateDeliveries);
    const lateOutcomes = lateDeliveries.map((item) => {
      const [attempt] = item.attempts;
      if (attempt === undefined) throw new Error('not delivered');
      assertGuardrailAttempt(attempt);
      return isGuardrailSummary(attempt.result) ? attempt.result.records[0]?.outcome : undefined;
    });
    if (lateOutcomes.some((outcome) => outcome !== 'gone')) {
      throw new Error(`expected gone past the bounded retry, got ${lateOutcomes.join(', ')}`);
    }
    advanceClock(601_000); // ten minutes later, as far as the emulator can tell

    const sweepContainer = await startContainer('sweep', lambdaEnv(recorder.url));
    const sweep = await sweepContainer.invoke({ repositoryNames: late });
    await sweepContainer.stop();
    if (!isSweepSummary(sweep.result) || sweep.result.counts.remediated !== late.length) {
      throw new Error(
        `the backfill did not remediate the late repositories: ${JSON.stringify(sweep.result)}`,
      );
    }
    const registry = await snapshot(admin);
    const left = [...names, ...late].filter((name) => !isTarget(registry.get(name)));
    if (left.length > 0) throw new Error(`not compliant: ${left.join(', ')}`);
    const describes = recorder.calls.get('DescribeRepositories');
    const notFound = describes?.get(400) ?? 0;

    return {
      id: 'guardrail-04-visibility',
      group: 'guardrail',
      title: 'CreateRepository, then not yet visible to DescribeRepositories',
      faults:
        'new repositories hidden from DescribeRepositories for 2.5 s (20 of them), then for 10 minutes (3 more)',
      repositories: names.length + late.length,
      work: `${created.length + lateDeliveries.length} CreateRepository events on ${GUARDRAIL_CONCURRENCY} containers; ${notFound} describes answered not-found meanwhile`,
      outcomes: outcomesOf([...created, ...lateDeliveries].flatMap((item) => item.attempts)),
      injected: { RepositoryNotFoundException: notFound },
      writes: recorder.writes.length,
      after: `the 3 hidden past the bounded retry recorded as gone, then remediated by a backfill of their names`,
      verified: [
        'hidden for 2.5 s: all 20 remediated within the guardrail’s bounded describe retry',
        'hidden for 10 minutes: recorded as gone with its reason after the bounded retry (never silently dropped)',
        'a backfill sweep of those names remediates them once visible',
      ],
      durationMs: Date.now() - started,
    };
  } finally {
    await pool.stop();
    await stop();
  }
}

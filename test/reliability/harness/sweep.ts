/**
 * Driving a logical sweep as the Step Functions loop does (invoke, then invoke again with the returned
 * nextToken until there is none), and the invariants every sweep must keep, whatever the faults.
 */
import { expect } from 'vitest';
import type { AuditRecord } from '../../../lib/audit.ts';
import { ACCOUNT, type Invocation, REGION } from './lambda.ts';
import type { ContextPlan } from './protocol.ts';
import { expectationOf, isTarget, type Kind, type RepositoryState } from './registry.ts';
import type { RecordedWrite } from './wire-recorder.ts';

export const SCHEDULED_EVENT = {
  version: '0',
  id: 'reliability-scheduled',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: ACCOUNT,
  time: '2026-11-29T06:00:00Z',
  region: REGION,
  resources: [`arn:aws:events:${REGION}:${ACCOUNT}:rule/sweep`],
  detail: {},
};

export interface SweepSummary {
  readonly counts: Readonly<Record<string, number>>;
  readonly scanned: number;
  readonly nextToken?: string;
}

export function isSweepSummary(value: unknown): value is SweepSummary {
  return (
    typeof value === 'object' &&
    value !== null &&
    'counts' in value &&
    typeof value.counts === 'object' &&
    'scanned' in value &&
    typeof value.scanned === 'number'
  );
}

export interface LogicalSweep {
  /** Every invocation, in order, including ones that threw. */
  readonly invocations: readonly Invocation[];
  /** Invocations that returned a summary: their counts are what the state machine adds up. */
  readonly completed: readonly { readonly invocation: Invocation; readonly summary: SweepSummary }[];
  readonly thrown: readonly Invocation[];
}

export interface LogicalSweepOptions {
  readonly invoke: (event: unknown, plan: ContextPlan) => Promise<Invocation>;
  readonly first: unknown;
  readonly plan: ContextPlan;
  /** Runs after each completed invocation that returned a nextToken (to change the registry meanwhile). */
  readonly between?: (index: number) => Promise<void>;
  /** Re-drives of an invocation that threw (an operator restarting the execution from its last input). */
  readonly maxRedrives?: number;
  readonly maxInvocations?: number;
}

export async function runLogicalSweep(options: LogicalSweepOptions): Promise<LogicalSweep> {
  const invocations: Invocation[] = [];
  const completed: { invocation: Invocation; summary: SweepSummary }[] = [];
  const thrown: Invocation[] = [];
  let event = options.first;
  let redrives = 0;
  for (;;) {
    if (invocations.length >= (options.maxInvocations ?? 200)) {
      throw new Error(`the sweep did not finish within ${invocations.length} invocations`);
    }
    const invocation = await options.invoke(event, options.plan);
    invocations.push(invocation);
    if (!invocation.ok) {
      thrown.push(invocation);
      redrives += 1;
      if (redrives > (options.maxRedrives ?? 3)) {
        throw new Error(`the sweep kept failing: ${JSON.stringify(invocation.error)}`);
      }
      continue;
    }
    if (!isSweepSummary(invocation.result)) {
      throw new Error(`not a sweep summary: ${JSON.stringify(invocation.result)}`);
    }
    completed.push({ invocation, summary: invocation.result });
    const { nextToken } = invocation.result;
    if (nextToken === undefined) break;
    await options.between?.(completed.length);
    event = { nextToken };
  }
  return { invocations, completed, thrown };
}

export interface SweepFacts {
  /** Repositories that existed throughout the sweep, with their planned kind. */
  readonly throughout: ReadonlyMap<string, Kind>;
  /** Repositories deleted or created while the sweep ran. */
  readonly transient: ReadonlySet<string>;
  readonly before: ReadonlyMap<string, RepositoryState>;
  readonly after: ReadonlyMap<string, RepositoryState>;
  /** Writes the functions made during the sweep (from the wire recorder). */
  readonly writes: readonly RecordedWrite[];
}

export interface SweepTally {
  readonly outcomes: Record<string, number>;
  readonly failedCodes: Record<string, number>;
  readonly scanned: number;
  readonly recordsByName: Map<string, AuditRecord[]>;
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

function nonZero(counts: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).filter(([, value]) => value > 0));
}

/**
 * The invariants of one logical sweep (see the issue): every repository that existed throughout ends
 * in exactly one counted outcome; counts add up to `scanned`; no exempt or compliant repository got a
 * write; every non-compliant one is remediated or failed with its error code; nothing else was written.
 */
export function assertSweepInvariants(sweep: LogicalSweep, facts: SweepFacts): SweepTally {
  const counted: AuditRecord[] = [];
  let scanned = 0;
  const outcomes: Record<string, number> = {};
  for (const { invocation, summary } of sweep.completed) {
    const total = Object.values(summary.counts).reduce((sum, count) => sum + count, 0);
    expect(total, 'an invocation whose counts do not add up to scanned').toBe(summary.scanned);
    // VERBOSE_AUDIT=true: every decision, compliant ones included, is one audit line.
    expect(nonZero(countBy(invocation.records, (record) => record.outcome)), 'audit lines vs counts').toEqual(
      nonZero(summary.counts),
    );
    counted.push(...invocation.records);
    scanned += summary.scanned;
    for (const [outcome, count] of Object.entries(summary.counts)) {
      if (count > 0) outcomes[outcome] = (outcomes[outcome] ?? 0) + count;
    }
  }
  expect(counted.length).toBe(scanned);

  // Thrown invocations are re-driven with the same input; only an ECR error that outlasted every retry may cause one.
  for (const invocation of sweep.thrown) {
    expect(invocation.error, 'a sweep invocation failed for another reason than ECR').toMatchObject({
      name: 'AwsCallError',
      retryable: true,
    });
  }

  const recordsByName = new Map<string, AuditRecord[]>();
  for (const record of counted) {
    const name = record.repositoryName ?? '(none)';
    recordsByName.set(name, [...(recordsByName.get(name) ?? []), record]);
  }
  const duplicated = [...recordsByName].filter(([, records]) => records.length > 1).map(([name]) => name);
  expect(duplicated, 'repositories counted more than once').toEqual([]);
  const unknown = [...recordsByName.keys()].filter(
    (name) => !facts.throughout.has(name) && !facts.transient.has(name),
  );
  expect(unknown, 'records for repositories that never existed').toEqual([]);

  const remediatedAnywhere = countBy(
    sweep.invocations.flatMap((invocation) => invocation.records.filter((r) => r.outcome === 'remediated')),
    (record) => record.repositoryName ?? '',
  );
  const missing: string[] = [];
  const wrong: string[] = [];
  const failedCodes: Record<string, number> = {};
  for (const [name, kind] of facts.throughout) {
    const record = recordsByName.get(name)?.[0];
    if (record === undefined) {
      missing.push(name);
      continue;
    }
    const expected = expectationOf(kind);
    // A repository remediated by an invocation that then threw is compliant when the re-drive sees it.
    const fixedEarlier = (remediatedAnywhere[name] ?? 0) > 0;
    // Any repository may end `failed` (with its error code) when a call it needed outlasted every
    // retry: its tags, its write, or the describe of a resumed batch. Never anything else.
    const allowed =
      expected === 'remediate'
        ? ['remediated', 'failed', ...(fixedEarlier ? ['compliant'] : [])]
        : [expected, 'failed'];
    if (!allowed.includes(record.outcome)) wrong.push(`${name} (${kind}): ${record.outcome}`);
    if (record.outcome === 'failed') {
      expect(record.errorCode, `${name} failed without an error code`).toMatch(/^[A-Za-z]+$/);
      failedCodes[record.errorCode ?? ''] = (failedCodes[record.errorCode ?? ''] ?? 0) + 1;
    }
  }
  expect(missing, 'repositories that existed throughout but were never counted').toEqual([]);
  expect(wrong, 'repositories with the wrong outcome').toEqual([]);

  // Writes: only the target, only in our registry, only where the sweep recorded a remediation,
  // exactly once each. Records of thrown invocations count here: what they wrote stays written.
  for (const write of facts.writes) {
    expect(write).toMatchObject({ imageTagMutability: 'IMMUTABLE', filters: [] });
    expect([undefined, ACCOUNT]).toContain(write.registryId);
  }
  const writesByName = countBy([...facts.writes], (write) => write.repositoryName);
  expect(writesByName, 'writes per repository vs remediated records').toEqual(remediatedAnywhere);
  const leftAlone = [...facts.throughout].filter(([, kind]) => expectationOf(kind) !== 'remediate');
  expect(
    leftAlone.filter(([name]) => (writesByName[name] ?? 0) > 0).map(([name]) => name),
    'exempt or compliant repositories that received a write',
  ).toEqual([]);

  // The registry agrees with the writes.
  for (const [name] of facts.throughout) {
    const before = facts.before.get(name);
    const after = facts.after.get(name);
    if ((writesByName[name] ?? 0) > 0)
      expect(isTarget(after), `${name} written but not at the target`).toBe(true);
    else expect(after, `${name} changed without a write`).toEqual(before);
  }
  return { outcomes, failedCodes, scanned, recordsByName };
}

/**
 * After the faults stop, a rerun leaves the registry fully compliant: it writes exactly the
 * repositories still non-compliant (each once), and only those.
 */
export function assertRerunCompliant(
  rerun: LogicalSweep,
  facts: {
    readonly before: ReadonlyMap<string, RepositoryState>;
    readonly after: ReadonlyMap<string, RepositoryState>;
    readonly writes: readonly RecordedWrite[];
    readonly isExempt: (name: string) => boolean;
  },
): Record<string, number> {
  expect(rerun.thrown).toEqual([]);
  const outcomes: Record<string, number> = {};
  for (const { summary } of rerun.completed) {
    for (const [outcome, count] of Object.entries(summary.counts)) {
      if (count > 0) outcomes[outcome] = (outcomes[outcome] ?? 0) + count;
    }
  }
  expect(outcomes.failed ?? 0, 'failures once the faults stopped').toBe(0);
  const stillNonCompliant = [...facts.after]
    .filter(([name, state]) => !facts.isExempt(name) && !isTarget(state))
    .map(([name]) => name);
  expect(stillNonCompliant, 'non-compliant repositories after the rerun').toEqual([]);
  const needed = [...facts.before]
    .filter(([name, state]) => !facts.isExempt(name) && !isTarget(state))
    .map(([name]) => name)
    .sort();
  expect(facts.writes.map((write) => write.repositoryName).sort(), 'writes of the rerun').toEqual(needed);
  for (const [name, state] of facts.before) {
    if (facts.isExempt(name)) expect(facts.after.get(name), `exempt ${name} changed`).toEqual(state);
  }
  return outcomes;
}

/**
 * Guardrail events built from the sample events (events/), and the async-invoke delivery model:
 * Lambda retries a failed asynchronous invocation twice, then sends the event to the dead-letter
 * queue (infra: retryAttempts 2, SQS on-failure destination). An operator redrives the queue later.
 */
import { expect } from 'vitest';
import { loadSampleEvent } from '../../helpers/fixtures.ts';
import type { Invocation, Pool } from './lambda.ts';
import type { RecordedWrite } from './wire-recorder.ts';

export type EventKind =
  | 'create-default'
  | 'put-mutable'
  | 'put-mutable-with-exclusion'
  | 'put-immutable-echo'
  | 'create-failed'
  | 'delete'
  | 'service-create';

/** Kinds that make the guardrail look at the repository (the others are ignored without a call). */
export const INSPECTING: readonly EventKind[] = [
  'create-default',
  'put-mutable',
  'put-mutable-with-exclusion',
  'service-create',
];

const SAMPLE: Record<EventKind, string> = {
  'create-default': 'create-repository-default-mutable.json',
  'put-mutable': 'put-image-tag-mutability-mutable.json',
  'put-mutable-with-exclusion': 'put-image-tag-mutability-mutable-with-exclusion.json',
  'put-immutable-echo': 'put-image-tag-mutability-immutable.json',
  'create-failed': 'create-repository-failed.json',
  delete: 'delete-repository.json',
  'service-create': 'service-event-create-repository.json',
};

function object(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
  return value as Record<string, unknown>;
}

let sequence = 0;

/** A sample event of `kind` rewritten for `repositoryName`, with fresh event IDs. */
export function guardrailEvent(kind: EventKind, repositoryName: string): Record<string, unknown> {
  const event = loadSampleEvent(SAMPLE[kind]);
  const detail = object(event.detail);
  sequence += 1;
  const id = `00000000-0000-4000-8000-${String(sequence).padStart(12, '0')}`;
  event.id = id;
  detail.eventID = id;
  if (kind === 'service-create') {
    detail.serviceEventDetails = { ...object(detail.serviceEventDetails), repositoryName };
  } else {
    detail.requestParameters = { ...object(detail.requestParameters), repositoryName };
  }
  return event;
}

export interface GuardrailSummary {
  readonly counts: Readonly<Record<string, number>>;
  readonly records: readonly { readonly outcome: string; readonly repositoryName?: string }[];
}

export function isGuardrailSummary(value: unknown): value is GuardrailSummary {
  return (
    typeof value === 'object' &&
    value !== null &&
    'counts' in value &&
    'records' in value &&
    Array.isArray(value.records)
  );
}

export interface Delivery {
  readonly event: Record<string, unknown>;
  readonly repositoryName: string;
  readonly kind: EventKind;
  /** Every attempt, in order. */
  readonly attempts: Invocation[];
}

/**
 * Asserts what every guardrail invocation must end as: a summary with exactly one recorded outcome,
 * or a thrown error that async invoke redelivers — a retryable ECR error with no record, or a
 * permanent one with exactly one `failed` record carrying its error code. Never anything else.
 */
export function assertGuardrailAttempt(attempt: Invocation): void {
  if (attempt.ok) {
    if (!isGuardrailSummary(attempt.result))
      throw new Error(`not a summary: ${JSON.stringify(attempt.result)}`);
    const total = Object.values(attempt.result.counts).reduce((sum, count) => sum + count, 0);
    expect(total, 'outcomes of one event').toBe(1);
    expect(attempt.result.records).toHaveLength(1);
    expect(attempt.records.map((record) => record.outcome)).toEqual([attempt.result.records[0]?.outcome]);
    return;
  }
  expect(attempt.error?.name, `an event ended in ${JSON.stringify(attempt.error)}`).toBe('AwsCallError');
  if (attempt.error?.retryable === true) {
    expect(attempt.records, 'a retryable failure recorded an outcome').toEqual([]);
  } else {
    expect(attempt.records.map((record) => record.outcome)).toEqual(['failed']);
    expect(attempt.records[0]?.errorCode).toBe(attempt.error?.code);
  }
}

/**
 * Delivers events through a pool as async invoke does: each event up to three attempts (the first
 * plus Lambda's two retries); what still fails goes to the returned dead-letter list.
 */
export async function deliverAll(
  pool: Pool,
  deliveries: readonly Delivery[],
): Promise<{ deadLettered: Delivery[] }> {
  const deadLettered: Delivery[] = [];
  await Promise.all(
    deliveries.map(async (delivery) => {
      for (let attempt = 0; attempt < 3; attempt++) {
        const invocation = await pool.invoke(delivery.event);
        delivery.attempts.push(invocation);
        if (invocation.ok) return;
      }
      deadLettered.push(delivery);
    }),
  );
  return { deadLettered };
}

/** How many pairs of one repository's invocations overlapped in time (two containers racing). */
export function overlaps(invocations: readonly Invocation[]): number {
  const sorted = [...invocations].sort((a, b) => a.startedAt - b.startedAt);
  let count = 0;
  for (let i = 0; i < sorted.length; i++) {
    for (let j = i + 1; j < sorted.length; j++) {
      const a = sorted[i];
      const b = sorted[j];
      if (a !== undefined && b !== undefined && b.startedAt < a.endedAt) count += 1;
    }
  }
  return count;
}

/**
 * At most one write per non-compliant state change of a repository, plus at most one per pair of its
 * invocations that ran at the same time in different containers (both may read the old state before
 * either writes; the second write sets the same value). Returns the extra writes observed.
 */
export function assertWritesPerStateChange(
  writes: readonly RecordedWrite[],
  stateChanges: ReadonlyMap<string, number>,
  invocationsByRepository: ReadonlyMap<string, readonly Invocation[]>,
): number {
  const byName = new Map<string, number>();
  for (const write of writes) {
    expect(write).toMatchObject({ imageTagMutability: 'IMMUTABLE', filters: [] });
    byName.set(write.repositoryName, (byName.get(write.repositoryName) ?? 0) + 1);
  }
  let extra = 0;
  const over: string[] = [];
  for (const [name, count] of byName) {
    const changes = stateChanges.get(name) ?? 0;
    const allowed = changes + (changes > 0 ? overlaps(invocationsByRepository.get(name) ?? []) : 0);
    if (count > allowed) over.push(`${name}: ${count} writes for ${changes} state change(s)`);
    extra += Math.max(0, count - changes);
  }
  expect(over, 'repositories written more often than they changed').toEqual([]);
  return extra;
}

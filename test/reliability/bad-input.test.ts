/**
 * Bad input through the built guardrail bundle against the emulator: a corpus of malformed and
 * hostile events (test/reliability/corpus/, expected results in expected.json), oversized payloads,
 * and fast-check fuzzing over arbitrary JSON and over sample events with one field broken. Every
 * input ends in a decision or an InvalidEventError that names the field; an invalid input never
 * reaches ECR, and nothing reaches Object.prototype.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../emulator/index.ts';
import { loadSampleEvent, sampleEventNames } from '../helpers/fixtures.ts';
import { type BundleHandler, fakeContext, loadBundle, restoreBundleEnv } from '../helpers/lambda.ts';
import { reliableAdmin } from './harness/admin.ts';
import { REGION } from './harness/lambda.ts';
import { writeResult } from './harness/results.ts';

interface CorpusEntry {
  readonly file: string;
  readonly about: string;
  readonly expect: 'invalid' | 'ignored' | 'remediated';
  readonly field?: string;
  readonly reason?: string;
  readonly repository?: string;
}

const corpusDir = path.join(import.meta.dirname, 'corpus');
const table = JSON.parse(readFileSync(path.join(corpusDir, 'expected.json'), 'utf8')) as {
  readonly seed: readonly { readonly name: string; readonly imageTagMutability: 'MUTABLE' }[];
  readonly entries: readonly CorpusEntry[];
};

/** Read as Lambda delivers an event: JSON.parse, so `__proto__` is an ordinary own key. */
function loadCorpusEvent(file: string): unknown {
  return JSON.parse(readFileSync(path.join(corpusDir, file), 'utf8'));
}

/** Repositories the samples and the corpus name, seeded MUTABLE before each case. */
const SAMPLE_REPOSITORIES = table.seed;

type Outcome =
  | { readonly kind: 'summary'; readonly counts: Record<string, number>; readonly records: unknown[] }
  | { readonly kind: 'invalid'; readonly message: string; readonly issues: readonly string[] }
  | { readonly kind: 'other'; readonly error: unknown };

describe('hostile and malformed events through dist/guardrail', () => {
  let emulator: RunningEmulator;
  let admin: ReturnType<typeof reliableAdmin>;
  let handler: BundleHandler;
  const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort();
  const tally = { corpus: 0, oversized: 0, fuzzJson: 0, fuzzMutated: 0, invalid: 0, decided: 0, writes: 0 };
  const started = Date.now();

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
    admin = reliableAdmin(emulator.url);
    handler = await loadBundle('guardrail', {
      AWS_ENDPOINT_URL_ECR: emulator.url,
      AWS_ENDPOINT_URL_EVENTBRIDGE: emulator.url,
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    });
  });
  afterEach(() => {
    // Nothing an event carried may have reached the prototype of every object.
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeys);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
  afterAll(async () => {
    restoreBundleEnv();
    await emulator.stop();
    writeResult({
      id: 'input-01-bad-input',
      group: 'input',
      title: 'malformed and hostile events through dist/guardrail',
      faults: 'corpus of 35 events, 5 oversized payloads, fast-check over arbitrary JSON and broken samples',
      repositories: SAMPLE_REPOSITORIES.length,
      work: `${tally.corpus} corpus + ${tally.oversized} oversized + ${tally.fuzzJson} arbitrary JSON + ${tally.fuzzMutated} broken samples`,
      outcomes: { 'InvalidEventError (field named)': tally.invalid, decided: tally.decided },
      injected: {},
      writes: tally.writes,
      after: 'Object.prototype unchanged after every input',
      verified: [
        'every input ended in a recorded decision or an InvalidEventError naming the field; nothing else was thrown',
        'no ECR call at all for an invalid input; a write only for a valid event about a non-compliant repository',
        'error messages stay short whatever the input size',
        'events for another account or region are ignored with the reason, never acted on',
      ],
      durationMs: Date.now() - started,
    });
  });

  async function calls(): Promise<Record<string, number>> {
    const stats = await admin.stats();
    return Object.fromEntries(Object.entries(stats.operations).map(([name, counts]) => [name, counts.calls]));
  }

  function diff(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
    const made: Record<string, number> = {};
    for (const [name, count] of Object.entries(after)) {
      const delta = count - (before[name] ?? 0);
      if (delta > 0) made[name] = delta;
    }
    return made;
  }

  /** Invokes the bundle and classifies what came back; also returns the ECR calls it made. */
  async function run(event: unknown): Promise<{ outcome: Outcome; made: Record<string, number> }> {
    await admin.seed({ region: REGION, repositories: SAMPLE_REPOSITORIES });
    const before = await calls();
    let outcome: Outcome;
    try {
      const result: unknown = await handler(event, fakeContext());
      if (typeof result !== 'object' || result === null || !('counts' in result) || !('records' in result)) {
        throw new Error(`not a summary: ${JSON.stringify(result)}`);
      }
      outcome = {
        kind: 'summary',
        counts: result.counts as Record<string, number>,
        records: result.records as unknown[],
      };
    } catch (error) {
      if (error instanceof Error && error.name === 'InvalidEventError' && 'issues' in error) {
        const issues = Array.isArray(error.issues) ? error.issues.map(String) : [];
        outcome = { kind: 'invalid', message: error.message, issues };
      } else {
        outcome = { kind: 'other', error };
      }
    }
    const made = diff(before, await calls());
    tally.writes += made.PutImageTagMutability ?? 0;
    return { outcome, made };
  }

  /** What must hold for any input at all. */
  function assertWellBehaved(outcome: Outcome, made: Record<string, number>): void {
    if (outcome.kind === 'other') throw new Error(`unexpected error: ${String(outcome.error)}`);
    if (outcome.kind === 'invalid') {
      tally.invalid += 1;
      expect(made, 'ECR calls for an invalid event').toEqual({});
      expect(outcome.issues.length).toBeGreaterThan(0);
      // Each issue is `path.to.field: problem`; the message never echoes a large input.
      for (const issue of outcome.issues) expect(issue).toMatch(/^[^:\s]+: \S/);
      expect(outcome.message.length).toBeLessThan(4_096);
      return;
    }
    tally.decided += 1;
    const total = Object.values(outcome.counts).reduce((sum, count) => sum + count, 0);
    expect(total, 'outcomes for one event').toBe(1);
    expect(outcome.records).toHaveLength(1);
    expect(made.PutImageTagMutability ?? 0).toBe(outcome.counts.remediated ?? 0);
    expect(JSON.stringify(outcome.records).length, 'an audit record carrying a large input').toBeLessThan(
      4_096,
    );
  }

  it.each(table.entries.map((entry) => [entry.file, entry]))('%s', async (_file, entry) => {
    const { outcome, made } = await run(loadCorpusEvent(entry.file));
    tally.corpus += 1;
    assertWellBehaved(outcome, made);
    switch (entry.expect) {
      case 'invalid':
        expect(outcome).toMatchObject({ kind: 'invalid' });
        if (outcome.kind === 'invalid') {
          expect(outcome.issues.map((issue) => issue.slice(0, issue.indexOf(':')))).toContain(entry.field);
          expect(outcome.message).toContain(`${entry.field}:`);
        }
        break;
      case 'ignored':
        expect(outcome).toMatchObject({ kind: 'summary', counts: { ignored: 1 } });
        expect(made, 'ECR calls for an ignored event').toEqual({});
        expect(JSON.stringify(outcome.kind === 'summary' ? outcome.records : [])).toContain(entry.reason);
        break;
      case 'remediated':
        expect(outcome).toMatchObject({ kind: 'summary', counts: { remediated: 1 } });
        expect(made).toEqual({ DescribeRepositories: 1, PutImageTagMutability: 1 });
        expect(JSON.stringify(outcome.kind === 'summary' ? outcome.records : [])).toContain(entry.repository);
        break;
    }
  });

  const ONE_MEGABYTE = 1024 * 1024;
  const oversized: [string, () => unknown, 'invalid' | 'remediated' | 'ignored'][] = [
    [
      'a real change padded to 1 MB (userAgent)',
      () => {
        const event = loadSampleEvent('put-image-tag-mutability-mutable.json');
        (event.detail as Record<string, unknown>).userAgent = 'x'.repeat(ONE_MEGABYTE);
        return event;
      },
      'remediated',
    ],
    [
      'a 1 MB repository name',
      () => {
        const event = loadSampleEvent('put-image-tag-mutability-mutable.json');
        const detail = event.detail as Record<string, Record<string, unknown>>;
        if (detail.requestParameters) detail.requestParameters.repositoryName = 'a'.repeat(ONE_MEGABYTE);
        return event;
      },
      'invalid',
    ],
    [
      'a 1 MB event name',
      () => {
        const event = loadSampleEvent('put-image-tag-mutability-mutable.json');
        (event.detail as Record<string, unknown>).eventName = 'E'.repeat(ONE_MEGABYTE);
        return event;
      },
      'invalid',
    ],
    [
      'a 1 MB source (echoed in the reason of an ignored event unless bounded)',
      () => ({
        ...loadSampleEvent('put-image-tag-mutability-mutable.json'),
        source: 's'.repeat(ONE_MEGABYTE),
      }),
      'invalid',
    ],
    [
      'responseElements nested 5,000 levels deep',
      () => {
        const event = loadSampleEvent('put-image-tag-mutability-mutable.json');
        let nested: Record<string, unknown> = {};
        for (let i = 0; i < 5_000; i++) nested = { nested };
        (event.detail as Record<string, unknown>).responseElements = nested;
        return event;
      },
      'remediated',
    ],
  ];

  it.each(oversized)('handles %s', async (_name, build, expected) => {
    const { outcome, made } = await run(build());
    tally.oversized += 1;
    assertWellBehaved(outcome, made);
    if (expected === 'invalid') expect(outcome.kind).toBe('invalid');
    else expect(outcome).toMatchObject({ kind: 'summary', counts: { [expected]: 1 } });
  });

  it('ends any JSON value in a decision or a typed error, never an ECR call', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        const { outcome, made } = await run(value);
        tally.fuzzJson += 1;
        assertWellBehaved(outcome, made);
        expect(made.PutImageTagMutability ?? 0).toBe(0);
      }),
      { numRuns: 150 },
    );
  });

  /** Every path of a JSON value, e.g. ['detail', 'requestParameters', 'repositoryName']. */
  function paths(value: unknown, prefix: string[] = []): string[][] {
    if (typeof value !== 'object' || value === null) return [prefix];
    const entries = Array.isArray(value)
      ? value.map((item, index) => [String(index), item] as const)
      : Object.entries(value);
    return [prefix, ...entries.flatMap(([key, item]) => paths(item, [...prefix, key]))];
  }

  function replaceAt(event: unknown, at: readonly string[], replacement: unknown, remove: boolean): unknown {
    if (at.length === 0) return replacement;
    const copy = structuredClone(event) as Record<string, unknown>;
    let parent: Record<string, unknown> = copy;
    for (const key of at.slice(0, -1)) parent = parent[key] as Record<string, unknown>;
    const last = at.at(-1) ?? '';
    if (remove) delete parent[last];
    else parent[last] = replacement;
    return copy;
  }

  const samples = sampleEventNames().map((name) => loadSampleEvent(name));
  const brokenSample = fc.constantFrom(...samples).chain((sample) =>
    fc.record({
      sample: fc.constant(sample),
      at: fc.constantFrom(...paths(sample)),
      replacement: fc.oneof(
        fc.jsonValue({ maxDepth: 2 }),
        fc.constantFrom(null, '', 0, [], {}, 'MUTABLE', 'IMMUTABLE', '123456789012', '210987654321'),
        fc.string({ unit: 'grapheme', maxLength: 300 }),
      ),
      remove: fc.boolean(),
    }),
  );

  it('ends a sample event with one field broken in a decision or an error naming a field', async () => {
    await fc.assert(
      fc.asyncProperty(brokenSample, async ({ sample, at, replacement, remove }) => {
        const event = replaceAt(sample, at, replacement, remove);
        const { outcome, made } = await run(event);
        tally.fuzzMutated += 1;
        assertWellBehaved(outcome, made);
        if (outcome.kind === 'summary' && (outcome.counts.remediated ?? 0) > 0) {
          // A write only for a well-formed event of this account and region, about a seeded repository.
          const [record] = outcome.records as {
            repositoryName?: string;
            registryId?: string;
            region?: string;
          }[];
          expect(SAMPLE_REPOSITORIES.map((repository) => repository.name)).toContain(record?.repositoryName);
          expect(record).toMatchObject({ registryId: '123456789012', region: REGION });
        }
      }),
      { numRuns: 300 },
    );
  });
});

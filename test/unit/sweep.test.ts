import { describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../lib/audit.ts';
import { AwsCallError } from '../../lib/errors.ts';
import type { Policy } from '../../lib/policy.ts';
import { runSweep, type SweepDependencies } from '../../lib/sweep.ts';
import {
  decodeCursor,
  MAX_NAMES_JSON_CHARS,
  MAX_TOKEN_CHARS,
  parseSweepInput,
  type SweepRequest,
} from '../../lib/sweep-input.ts';
import { createMemoryEcr, type MemoryEcr, throttled } from '../helpers/memory-ecr.ts';

const POLICY: Policy = { target: { mutability: 'IMMUTABLE', exclusionFilters: [] }, exemptRepositories: [] };
const FULL: SweepRequest = {
  trigger: 'sweep',
  dryRun: false,
  repositoryNames: undefined,
  resume: undefined,
  maxRepositories: undefined,
};

function registry(count: number, mutableEvery = 20): Record<string, string> {
  const seed: Record<string, string> = {};
  for (let i = 0; i < count; i++) {
    seed[`repo-${String(i).padStart(6, '0')}`] = i % mutableEvery === 0 ? 'MUTABLE' : 'IMMUTABLE';
  }
  return seed;
}

/** `ecr` with its first page listing throttled (after the SDK's own retries). */
function listingThrottledOnce(ecr: MemoryEcr): MemoryEcr {
  const list = ecr.listRepositoryPage.bind(ecr);
  let listed = 0;
  ecr.listRepositoryPage = async (request) => {
    listed += 1;
    if (listed === 1) throw throttled('DescribeRepositories');
    return list(request);
  };
  return ecr;
}

function deps(
  ecr: MemoryEcr,
  records: AuditRecord[],
  extra: Partial<SweepDependencies> = {},
): SweepDependencies {
  return {
    ecr,
    policy: POLICY,
    region: 'eu-west-1',
    now: () => new Date('2026-11-29T12:00:00Z'),
    remainingMs: () => 900_000,
    safetyMarginMs: 30_000,
    maxConcurrency: 4,
    record: (record) => records.push(record),
    sleep: async () => {},
    ...extra,
  };
}

describe('runSweep over the whole registry', () => {
  it('pages 1000 at a time and writes only the non-compliant repositories', async () => {
    // Prepare
    const ecr = createMemoryEcr(registry(2500));
    const records: AuditRecord[] = [];
    // Act
    const result = await runSweep(FULL, deps(ecr, records));
    // Assess
    expect(result).toMatchObject({ scanned: 2500, nextToken: undefined, nonCompliant: 125 });
    expect(ecr.calls).toEqual({
      describe: 3,
      describeByName: 0,
      put: 125,
      tags: 0,
      templates: 0,
      templateWrites: 0,
      images: 0,
    });
    expect(records.filter((r) => r.outcome === 'remediated')).toHaveLength(125);
    expect(records.filter((r) => r.outcome === 'compliant')).toHaveLength(2375);
    expect([...ecr.repositories.values()].every((s) => s.mutability === 'IMMUTABLE')).toBe(true);
  });

  it('changes nothing in dry-run', async () => {
    const ecr = createMemoryEcr(registry(300));
    const records: AuditRecord[] = [];
    await runSweep({ ...FULL, dryRun: true }, deps(ecr, records));
    expect(ecr.calls.put).toBe(0);
    expect(records.filter((r) => r.outcome === 'would-remediate')).toHaveLength(15);
  });

  it('covers every repository exactly once across resumptions with a tiny time budget', async () => {
    // Prepare: each invocation may start only a few repositories before its "deadline".
    const ecr = createMemoryEcr(registry(2345, 7));
    const records: AuditRecord[] = [];
    let request: SweepRequest = FULL;
    let invocations = 0;
    // Act
    for (;;) {
      invocations += 1;
      let budget = 37;
      const result = await runSweep(
        request,
        deps(ecr, records, { remainingMs: () => (budget-- > 0 ? 60_000 : 1_000), maxConcurrency: 3 }),
      );
      if (result.nextToken === undefined) break;
      request = parseSweepInput({ nextToken: result.nextToken }, false);
      expect(invocations).toBeLessThan(500);
    }
    // Assess
    const names = records.map((record) => record.repositoryName);
    expect(new Set(names).size).toBe(2345);
    expect(names).toHaveLength(2345);
    expect(invocations).toBeGreaterThan(10);
    expect(records.filter((r) => r.outcome === 'remediated')).toHaveLength(Math.ceil(2345 / 7));
  });

  it('keeps its resume token under 64 KiB at the worst case: 1000 names of 256 characters on one page', async () => {
    // Prepare: one page of 1000 maximum-length names; the deadline comes after a few have started.
    const long = (i: number) => `${'a'.repeat(249)}-${String(i).padStart(6, '0')}`;
    const seed: Record<string, string> = {};
    for (let i = 0; i < 1000; i++) seed[long(i)] = i % 3 === 0 ? 'MUTABLE' : 'IMMUTABLE';
    const ecr = createMemoryEcr(seed);
    const records: AuditRecord[] = [];
    let request: SweepRequest = FULL;
    const tokens: string[] = [];
    // Act: every invocation may start only 19 repositories, so tokens stand for up to 981 undecided names.
    for (let invocation = 0; invocation < 500; invocation++) {
      let budget = 19;
      const result = await runSweep(
        request,
        deps(ecr, records, { remainingMs: () => (budget-- > 0 ? 60_000 : 1_000), maxConcurrency: 2 }),
      );
      if (result.nextToken === undefined) break;
      tokens.push(result.nextToken);
      request = parseSweepInput({ nextToken: result.nextToken }, false);
    }
    // Assess
    expect(long(0)).toHaveLength(256);
    expect(tokens.length).toBeGreaterThan(40);
    expect(Math.max(...tokens.map((token) => token.length))).toBeLessThanOrEqual(MAX_TOKEN_CHARS);
    expect(Math.max(...tokens.map((token) => token.length))).toBeLessThan(20 * 1024);
    const names = records.map((record) => record.repositoryName);
    expect(names).toHaveLength(1000);
    expect(new Set(names).size).toBe(1000);
    expect(records.filter((r) => r.outcome === 'remediated')).toHaveLength(334);
  });

  it('resumes inside a page after a page boundary, deciding each repository once', async () => {
    // 2,500 repositories, pages of 1000: invocations stop in the middle of the second and third pages.
    const ecr = createMemoryEcr(registry(2500, 5));
    const records: AuditRecord[] = [];
    let request: SweepRequest = FULL;
    for (let invocation = 0; invocation < 10; invocation++) {
      let budget = 700;
      const result = await runSweep(
        request,
        deps(ecr, records, { remainingMs: () => (budget-- > 0 ? 60_000 : 1_000), maxConcurrency: 1 }),
      );
      if (result.nextToken === undefined) break;
      request = parseSweepInput({ nextToken: result.nextToken }, false);
    }
    const names = records.map((record) => record.repositoryName);
    expect(names).toHaveLength(2500);
    expect(new Set(names).size).toBe(2500);
    expect(records.filter((r) => r.outcome === 'remediated')).toHaveLength(500);
    expect(
      records
        .filter((r) => r.outcome === 'remediated')
        .every(
          (r) => r.before?.imageTagMutability === 'MUTABLE' && r.after?.imageTagMutability === 'IMMUTABLE',
        ),
    ).toBe(true);
  });

  it('rejects given names too long for a resume token, and keeps the token of the longest accepted list bounded', async () => {
    const name = (i: number) => `${'b'.repeat(249)}-${String(i).padStart(6, '0')}`;
    const fits = Math.floor(MAX_NAMES_JSON_CHARS / (256 + 3));
    const accepted = Array.from({ length: fits }, (_, i) => name(i));
    expect(() =>
      parseSweepInput({ repositoryNames: [...accepted, name(fits), name(fits + 1)] }, false),
    ).toThrow(/repositoryNames: must be at most 46000 characters as JSON/);
    const seed: Record<string, string> = {};
    for (const repositoryName of accepted) seed[repositoryName] = 'MUTABLE';
    const ecr = createMemoryEcr(seed);
    let budget = 1;
    const result = await runSweep(
      parseSweepInput({ repositoryNames: accepted }, false),
      deps(ecr, [], { remainingMs: () => (budget-- > 0 ? 60_000 : 1_000), maxConcurrency: 1 }),
    );
    expect(result.nextToken?.length).toBeLessThanOrEqual(MAX_TOKEN_CHARS);
    expect(decodeCursor(result.nextToken ?? '')).toMatchObject({ mode: 'names', pending: accepted.slice(1) });
  });

  it('decides a name given twice once', async () => {
    const ecr = createMemoryEcr(registry(3));
    const records: AuditRecord[] = [];
    await runSweep(
      { ...FULL, repositoryNames: ['repo-000001', 'repo-000001', 'repo-000002'] },
      deps(ecr, records),
    );
    expect(records.map((record) => record.repositoryName)).toEqual(['repo-000001', 'repo-000002']);
  });

  it('stops after maxRepositories and resumes from the token', async () => {
    const ecr = createMemoryEcr(registry(50));
    const records: AuditRecord[] = [];
    const first = await runSweep({ ...FULL, maxRepositories: 20 }, deps(ecr, records));
    expect(first.scanned).toBe(20);
    expect(first.nextToken).toBeDefined();
    const second = await runSweep(parseSweepInput({ nextToken: first.nextToken }, false), deps(ecr, records));
    expect(second).toMatchObject({ scanned: 30, nextToken: undefined });
    expect(new Set(records.map((r) => r.repositoryName)).size).toBe(50);
  });

  it.each([
    [1000, 'at the end of the first page'],
    [1500, 'in the middle of the second page'],
  ])('resumes a sweep stopped after %i repositories (%s) on the page after, not the first', async (stop) => {
    // Prepare: three pages of 1000; a sweep that forgot the page token would relist page one or stop early.
    const ecr = createMemoryEcr(registry(2500));
    const records: AuditRecord[] = [];
    // Act
    const first = await runSweep({ ...FULL, maxRepositories: stop }, deps(ecr, records));
    const second = await runSweep(parseSweepInput({ nextToken: first.nextToken }, false), deps(ecr, records));
    // Assess
    expect(first).toMatchObject({ scanned: stop, nextToken: expect.any(String) });
    expect(second).toMatchObject({ scanned: 2500 - stop, nextToken: undefined });
    const names = records.map((record) => record.repositoryName);
    expect(new Set(names).size).toBe(2500);
    expect(names).toHaveLength(2500);
    // A sweep stopped inside a page lists that page again on resume (the token keeps the page's
    // token and digests of the names already decided there, not the names); every other page once.
    const relisted = stop % 1000 === 0 ? 0 : 1;
    expect(ecr.calls.describe, 'each page listed once, the interrupted one twice').toBe(3 + relisted);
  });

  it.each([
    [true, 'would-remediate'],
    [false, 'remediated'],
  ])('records each decision with the setting before and after it (dry-run %s)', async (dryRun, fixed) => {
    // Prepare
    const ecr = createMemoryEcr({ 'a-mutable': 'MUTABLE', 'b-immutable': 'IMMUTABLE' });
    ecr.repositories.set('c-with-exclusion', {
      mutability: 'MUTABLE_WITH_EXCLUSION',
      exclusionFilters: ['release-*', 'nightly'],
    });
    const records: AuditRecord[] = [];
    // Act
    await runSweep({ ...FULL, dryRun }, deps(ecr, records));
    // Assess: `after` is what was (or would be) written; filters are reported sorted.
    const immutable = { imageTagMutability: 'IMMUTABLE', exclusionFilters: [] };
    const mutable = { imageTagMutability: 'MUTABLE', exclusionFilters: [] };
    const excluded = {
      imageTagMutability: 'MUTABLE_WITH_EXCLUSION',
      exclusionFilters: ['nightly', 'release-*'],
    };
    const decisions = Object.fromEntries(
      records.map(({ repositoryName, outcome, before, after }) => [
        repositoryName,
        { outcome, before, after },
      ]),
    );
    expect(decisions).toEqual({
      'a-mutable': { outcome: fixed, before: mutable, after: immutable },
      'b-immutable': { outcome: 'compliant', before: immutable, after: immutable },
      'c-with-exclusion': { outcome: fixed, before: excluded, after: immutable },
    });
  });

  it('counts a repository whose write keeps failing as failed with its code, and goes on', async () => {
    const ecr = createMemoryEcr(registry(100, 10));
    ecr.failPut = (name) =>
      name === 'repo-000010'
        ? new AwsCallError('ecr', 'PutImageTagMutability', 'AccessDeniedException', false)
        : undefined;
    const records: AuditRecord[] = [];
    const result = await runSweep(FULL, deps(ecr, records));
    expect(result.scanned).toBe(100);
    expect(records.find((r) => r.repositoryName === 'repo-000010')).toMatchObject({
      outcome: 'failed',
      errorCode: 'AccessDeniedException',
    });
    expect(records.filter((r) => r.outcome === 'remediated')).toHaveLength(9);
  });

  it('retries a throttled write itself after the SDK gave up, then succeeds', async () => {
    const ecr = createMemoryEcr(registry(40, 2));
    let throttles = 0;
    ecr.failPut = () => (throttles++ % 3 === 0 ? throttled() : undefined);
    const records: AuditRecord[] = [];
    const result = await runSweep(FULL, deps(ecr, records));
    expect(records.filter((r) => r.outcome === 'remediated')).toHaveLength(20);
    expect(records.filter((r) => r.outcome === 'failed')).toHaveLength(0);
    expect(result.retriedErrors).toBeGreaterThan(0);
  });

  it('decides one repository per invocation even past its deadline, so a resumed sweep always progresses', async () => {
    const ecr = createMemoryEcr(registry(3));
    const records: AuditRecord[] = [];
    const late = deps(ecr, records, { remainingMs: () => 0 });
    let result = await runSweep(FULL, late);
    const scannedPerInvocation = [result.scanned];
    while (result.nextToken !== undefined) {
      result = await runSweep(parseSweepInput({ nextToken: result.nextToken }, false), late);
      scannedPerInvocation.push(result.scanned);
    }
    expect(scannedPerInvocation).toEqual([1, 1, 1]);
    expect(records.map((record) => record.repositoryName)).toEqual(Object.keys(registry(3)));
  });

  it('starts no other repository once the deadline passed while it waited for a free slot', async () => {
    const ecr = createMemoryEcr(registry(5, 1));
    const put = ecr.setMutability.bind(ecr);
    let written = 0;
    ecr.setMutability = async (facts, setting) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      written += 1;
      return put(facts, setting);
    };
    // Time runs out when the first write ends, which is what the second repository waits for.
    const result = await runSweep(
      FULL,
      deps(ecr, [], { maxConcurrency: 1, remainingMs: () => (written > 0 ? 0 : 60_000) }),
    );
    expect(result).toMatchObject({ scanned: 1, nextToken: expect.any(String) });
  });

  it('lists the creation templates page by page, in the registry it sweeps', async () => {
    const ecr = createMemoryEcr(registry(3));
    const asked: unknown[] = [];
    ecr.listCreationTemplatePage = async (request) => {
      asked.push(request);
      const prefix = request.nextToken === undefined ? 'first' : 'second';
      return {
        templates: [
          { prefix, registryId: '123456789012', setting: { mutability: 'IMMUTABLE', exclusionFilters: [] } },
        ],
        nextToken: request.nextToken === undefined ? 'page-2' : undefined,
      };
    };
    const records: AuditRecord[] = [];
    await runSweep(FULL, deps(ecr, records, { checkCreationTemplates: true, registryId: '123456789012' }));
    expect(asked).toEqual([
      { registryId: '123456789012', nextToken: undefined },
      { registryId: '123456789012', nextToken: 'page-2' },
    ]);
    expect(
      records.filter((record) => record.templatePrefix !== undefined).map((r) => r.templatePrefix),
    ).toEqual(['first', 'second']);
  });

  it('fails a throttled page at the deadline instead of retrying it, and a throttled listing does not slow its writes', async () => {
    const ecr = listingThrottledOnce(createMemoryEcr(registry(40, 1)));
    const put = ecr.setMutability.bind(ecr);
    let inFlight = 0;
    let most = 0;
    ecr.setMutability = async (facts, setting) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 1));
      inFlight -= 1;
      return put(facts, setting);
    };
    // No retry starts once the deadline nears: the invocation fails with the page's error, before the
    // deadline, so its caller retries it; and a throttled listing is no reason to decide fewer at once.
    await expect(
      runSweep(FULL, deps(listingThrottledOnce(createMemoryEcr(registry(3))), [], { remainingMs: () => 0 })),
    ).rejects.toMatchObject({ code: 'ThrottlingException', retryable: true });
    await runSweep(FULL, deps(ecr, [], { maxConcurrency: 8 }));
    expect(most).toBe(8);
  });

  it('treats exactly the safety margin left as out of time', async () => {
    const ecr = createMemoryEcr(registry(3));
    const result = await runSweep(FULL, deps(ecr, [], { remainingMs: () => 30_000, safetyMarginMs: 30_000 }));
    expect(result).toMatchObject({ scanned: 1, nextToken: expect.any(String) });
  });

  it('counts as non-compliant what it remediated or failed to, not what was compliant', async () => {
    const ecr = createMemoryEcr(registry(40, 10));
    ecr.failPut = (name) =>
      name === 'repo-000010'
        ? new AwsCallError('ecr', 'PutImageTagMutability', 'AccessDeniedException', false)
        : undefined;
    const result = await runSweep(FULL, deps(ecr, []));
    expect(result).toMatchObject({ scanned: 40, nonCompliant: 4, retriedErrors: 0 });
    const dryRun = await runSweep({ ...FULL, dryRun: true }, deps(createMemoryEcr(registry(40, 10)), []));
    expect(dryRun.nonCompliant).toBe(4);
  });

  it.each([
    [3, 'remediated', 3],
    [4, 'failed', 3],
  ])(
    'retries a throttled write 3 times itself: throttled %i times, it ends %s',
    async (throttles, outcome, retried) => {
      const ecr = createMemoryEcr({ 'only-one': 'MUTABLE' });
      let left = throttles;
      ecr.failPut = () => (left-- > 0 ? throttled() : undefined);
      const records: AuditRecord[] = [];
      const result = await runSweep(FULL, deps(ecr, records));
      expect(records.map((record) => [record.outcome, record.errorCode])).toEqual([
        [outcome, outcome === 'failed' ? 'ThrottlingException' : undefined],
      ]);
      expect(result.retriedErrors).toBe(retried);
    },
  );

  it.each([
    [0, 1, 'failed', 0],
    [1, 1, 'remediated', 1],
    [1, 2, 'failed', 1],
  ])(
    'retries a throttled write as often as repositoryRetries says: %i retries, throttled %i times, it ends %s',
    async (repositoryRetries, throttles, outcome, retried) => {
      const ecr = createMemoryEcr({ 'only-one': 'MUTABLE' });
      let left = throttles;
      ecr.failPut = () => (left-- > 0 ? throttled() : undefined);
      const records: AuditRecord[] = [];
      const result = await runSweep(FULL, deps(ecr, records, { repositoryRetries }));
      expect(records.map((record) => record.outcome)).toEqual([outcome]);
      expect(result.retriedErrors).toBe(retried);
    },
  );

  it('fails a listing that hands back a page token it already gave, naming DescribeRepositories', async () => {
    const ecr = createMemoryEcr(registry(3));
    const list = ecr.listRepositoryPage.bind(ecr);
    ecr.listRepositoryPage = async (request) => ({ ...(await list(request)), nextToken: 'same-token' });
    await expect(runSweep(FULL, deps(ecr, []))).rejects.toThrow(
      'ECR DescribeRepositories repeated a page token it had already returned (page 2): the listing would never end',
    );
  });

  it('stops retrying a throttled write once the deadline is near, and records it failed', async () => {
    const ecr = createMemoryEcr({ 'only-one': 'MUTABLE' });
    ecr.failPut = () => throttled();
    const records: AuditRecord[] = [];
    // Enough time to start the repository, none left once its first write was throttled.
    let clock = 0;
    const result = await runSweep(
      FULL,
      deps(ecr, records, { remainingMs: () => (clock++ < 2 ? 60_000 : 0) }),
    );
    expect(records.map((record) => record.outcome)).toEqual(['failed']);
    expect(result.retriedErrors).toBe(0);
  });

  it('never has more writes in flight than its concurrency, and halves it under throttling', async () => {
    const ecr = createMemoryEcr(registry(64, 1));
    const put = ecr.setMutability.bind(ecr);
    let inFlight = 0;
    let most = 0;
    // Writes started before the throttled one failed, and the in-flight counts of those started after all of them ended.
    const before = new Set<string>();
    let throttledOnce = false;
    const afterDrain: number[] = [];
    ecr.setMutability = async (facts, setting) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      if (!throttledOnce) before.add(facts.repositoryName);
      else if (before.size === 0) afterDrain.push(inFlight);
      await new Promise((resolve) => setTimeout(resolve, 1));
      inFlight -= 1;
      before.delete(facts.repositoryName);
      if (!throttledOnce && facts.repositoryName === 'repo-000003') {
        throttledOnce = true;
        throw throttled();
      }
      return put(facts, setting);
    };
    await runSweep(FULL, deps(ecr, [], { maxConcurrency: 8 }));
    expect(most).toBe(8);
    expect(afterDrain.length).toBeGreaterThanOrEqual(8);
    expect(Math.max(...afterDrain.slice(0, 8))).toBe(4);
  });

  it('grows its concurrency back as writes succeed after throttling', async () => {
    const ecr = createMemoryEcr(registry(300, 1));
    const put = ecr.setMutability.bind(ecr);
    let inFlight = 0;
    const inFlightAtStart: number[] = [];
    let throttledOnce = false;
    ecr.setMutability = async (facts, setting) => {
      inFlight += 1;
      inFlightAtStart.push(inFlight);
      const fail = !throttledOnce && facts.repositoryName === 'repo-000003';
      throttledOnce ||= fail;
      await new Promise((resolve) => setTimeout(resolve, 1));
      inFlight -= 1;
      if (fail) throw throttled();
      return put(facts, setting);
    };
    await runSweep(FULL, deps(ecr, [], { maxConcurrency: 8 }));
    // Halved to 4 after the throttled write, back to 8 after some 90 successes (a slot more per run of 4 × the limit).
    expect(Math.min(...inFlightAtStart.slice(8, 40))).toBe(4);
    expect(Math.max(...inFlightAtStart.slice(-50))).toBe(8);
  });

  it('reports its progress after each page', async () => {
    const ecr = createMemoryEcr(registry(2500));
    const progress: number[] = [];
    await runSweep(FULL, deps(ecr, [], { onProgress: ({ scanned }) => progress.push(scanned) }));
    expect(progress).toEqual([1000, 2000, 2500]);
  });
});

describe('runSweep and repository creation templates', () => {
  function withTemplates() {
    const ecr = createMemoryEcr(registry(30));
    ecr.templates.set('ROOT', { mutability: 'MUTABLE', exclusionFilters: [] });
    ecr.templates.set('ecr-public', { mutability: 'IMMUTABLE', exclusionFilters: [] });
    return ecr;
  }

  it('reports and fixes a non-compliant template, apart from the repository counts', async () => {
    const ecr = withTemplates();
    const records: AuditRecord[] = [];
    const result = await runSweep(FULL, deps(ecr, records, { checkCreationTemplates: true }));
    expect(result.scanned).toBe(30);
    const templateRecords = records.filter((record) => record.templatePrefix !== undefined);
    expect(templateRecords.map((record) => [record.templatePrefix, record.outcome])).toEqual([
      ['ROOT', 'remediated'],
      ['ecr-public', 'compliant'],
    ]);
    expect(ecr.templates.get('ROOT')?.mutability).toBe('IMMUTABLE');
  });

  it('writes no template in dry-run', async () => {
    const ecr = withTemplates();
    const records: AuditRecord[] = [];
    await runSweep({ ...FULL, dryRun: true }, deps(ecr, records, { checkCreationTemplates: true }));
    expect(records.find((record) => record.templatePrefix === 'ROOT')?.outcome).toBe('would-remediate');
    expect(ecr.calls.templateWrites).toBe(0);
  });

  it('records a template it cannot set as failed, with the code, and goes on', async () => {
    const ecr = withTemplates();
    ecr.templates.set('zz-team', { mutability: 'MUTABLE', exclusionFilters: [] });
    const set = ecr.setTemplateMutability.bind(ecr);
    ecr.setTemplateMutability = async (template, setting) => {
      if (template.prefix === 'ROOT')
        throw new AwsCallError('ecr', 'UpdateRepositoryCreationTemplate', 'AccessDeniedException', false);
      return set(template, setting);
    };
    const records: AuditRecord[] = [];
    const result = await runSweep(FULL, deps(ecr, records, { checkCreationTemplates: true }));
    const templateRecords = records.filter((record) => record.templatePrefix !== undefined);
    expect(
      templateRecords.map((record) => [record.templatePrefix, record.outcome, record.errorCode]),
    ).toEqual([
      ['ROOT', 'failed', 'AccessDeniedException'],
      ['ecr-public', 'compliant', undefined],
      ['zz-team', 'remediated', undefined],
    ]);
    expect(result.scanned).toBe(30);
  });

  it('records one failed record when the templates cannot be listed, and still sweeps the repositories', async () => {
    const ecr = withTemplates();
    ecr.listCreationTemplatePage = async () => {
      throw new AwsCallError('ecr', 'DescribeRepositoryCreationTemplates', 'AccessDeniedException', false);
    };
    const records: AuditRecord[] = [];
    const result = await runSweep(FULL, deps(ecr, records, { checkCreationTemplates: true }));
    expect(records.filter((record) => record.templatePrefix !== undefined)).toEqual([
      expect.objectContaining({
        outcome: 'failed',
        templatePrefix: '*',
        errorCode: 'AccessDeniedException',
        reason: 'DescribeRepositoryCreationTemplates failed with AccessDeniedException',
      }),
    ]);
    expect(result.scanned).toBe(30);
  });

  it('checks templates once per sweep, not on resumed invocations, and not unless asked', async () => {
    const ecr = withTemplates();
    const first = await runSweep(
      { ...FULL, maxRepositories: 10 },
      deps(ecr, [], { checkCreationTemplates: true }),
    );
    await runSweep(
      parseSweepInput({ nextToken: first.nextToken }, false),
      deps(ecr, [], { checkCreationTemplates: true }),
    );
    expect(ecr.calls.templates).toBe(1);
    await runSweep(FULL, deps(ecr, []));
    expect(ecr.calls.templates).toBe(1);
  });
});

describe('runSweep over given names', () => {
  it('checks exactly the names in batches of 100 and reports missing ones as gone', async () => {
    const ecr = createMemoryEcr(registry(250, 5));
    const names = [...Object.keys(registry(250, 5)).slice(0, 230), 'deleted-a', 'deleted-b'];
    const records: AuditRecord[] = [];
    const result = await runSweep(
      { ...FULL, trigger: 'backfill', repositoryNames: names },
      deps(ecr, records),
    );
    expect(result).toMatchObject({ scanned: 232, nextToken: undefined });
    expect(ecr.calls.describeByName).toBe(3);
    expect(ecr.calls.describe).toBe(0);
    expect(records.filter((r) => r.outcome === 'gone').map((r) => [r.repositoryName, r.reason])).toEqual([
      ['deleted-a', 'repository does not exist'],
      ['deleted-b', 'repository does not exist'],
    ]);
  });

  it('fails each name of a batch it cannot describe, with the code, and goes on with the next batch', async () => {
    const ecr = createMemoryEcr(registry(150, 1));
    const describe = ecr.describeRepositoriesByName.bind(ecr);
    let batches = 0;
    ecr.describeRepositoriesByName = async (registryId, names) => {
      batches += 1;
      if (batches === 1)
        throw new AwsCallError('ecr', 'DescribeRepositories', 'AccessDeniedException', false);
      return describe(registryId, names);
    };
    const records: AuditRecord[] = [];
    const names = Object.keys(registry(150, 1));
    const result = await runSweep(
      { ...FULL, trigger: 'backfill', repositoryNames: names },
      deps(ecr, records),
    );
    expect(result).toMatchObject({ scanned: 150, nextToken: undefined });
    const failed = records.filter((record) => record.outcome === 'failed');
    expect(failed.map((record) => record.repositoryName)).toEqual(names.slice(0, 100));
    expect(new Set(failed.map((record) => record.errorCode))).toEqual(new Set(['AccessDeniedException']));
    expect(records.filter((record) => record.outcome === 'remediated')).toHaveLength(50);
  });

  it('retries a throttled batch within its time, halving its concurrency, and fails it once the deadline passed', async () => {
    const names = Object.keys(registry(40, 1));
    const throttledFirstBatch = () => {
      const ecr = createMemoryEcr(registry(40, 1));
      const describe = ecr.describeRepositoriesByName.bind(ecr);
      let described = 0;
      ecr.describeRepositoriesByName = async (registryId, batch) => {
        described += 1;
        if (described === 1) throw throttled('DescribeRepositories');
        return describe(registryId, batch);
      };
      const put = ecr.setMutability.bind(ecr);
      const inFlight = { now: 0, most: 0 };
      ecr.setMutability = async (facts, setting) => {
        inFlight.now += 1;
        inFlight.most = Math.max(inFlight.most, inFlight.now);
        await new Promise((resolve) => setTimeout(resolve, 1));
        inFlight.now -= 1;
        return put(facts, setting);
      };
      return { ecr, inFlight };
    };
    const request = { ...FULL, trigger: 'backfill' as const, repositoryNames: names };

    const inTime = throttledFirstBatch();
    const records: AuditRecord[] = [];
    await runSweep(request, deps(inTime.ecr, records, { maxConcurrency: 8 }));
    expect(records.filter((record) => record.outcome === 'remediated')).toHaveLength(40);
    expect(inTime.inFlight.most).toBeLessThan(8);

    const late = throttledFirstBatch();
    const lateRecords: AuditRecord[] = [];
    await runSweep(request, deps(late.ecr, lateRecords, { remainingMs: () => 0 }));
    expect(lateRecords.map((record) => record.outcome)).toEqual(names.map(() => 'failed'));
  });

  it('returns the names of the batches it did not start in its token', async () => {
    const ecr = createMemoryEcr(registry(250, 1));
    const names = Object.keys(registry(250, 1));
    const first = await runSweep(
      { ...FULL, trigger: 'backfill', repositoryNames: names, maxRepositories: 100 },
      deps(ecr, []),
    );
    expect(first.scanned).toBe(100);
    expect(decodeCursor(first.nextToken ?? '')).toMatchObject({ mode: 'names', pending: names.slice(100) });
  });

  it('returns the names it did not start in its token, in order, and reports progress per batch', async () => {
    const ecr = createMemoryEcr(registry(250, 1));
    const names = Object.keys(registry(250, 1));
    const progress: number[] = [];
    const first = await runSweep(
      { ...FULL, trigger: 'backfill', repositoryNames: names, maxRepositories: 130 },
      deps(ecr, [], { onProgress: ({ scanned }) => progress.push(scanned) }),
    );
    expect(first.scanned).toBe(130);
    expect(progress).toEqual([100, 130]);
    expect(decodeCursor(first.nextToken ?? '')).toMatchObject({ mode: 'names', pending: names.slice(130) });
  });
});

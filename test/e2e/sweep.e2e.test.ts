/**
 * The built sweep bundle and the ecr-guard CLI against a real ECR implementation (the emulator by
 * default): dry-run changes nothing, a real run fixes exactly the non-compliant repositories with
 * ceil(N/1000) describes, resumption covers every repository exactly once, and injected throttling
 * still ends with every repository counted.
 */
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { AUDIT_MESSAGE } from '../../lib/audit.ts';
import { runNode } from '../helpers/child-process.ts';
import { projectRoot } from '../helpers/fixtures.ts';
import { fakeContext, loadBundle, restoreBundleEnv } from '../helpers/lambda.ts';
import { adminOf, type Backend, bundleEnv, itOnEmulator, type SeedSpec, startBackend } from './backend.ts';

interface SweepSummary {
  counts: Record<string, number>;
  scanned: number;
  nextToken?: string;
}

function isSummary(value: unknown): value is SweepSummary {
  return typeof value === 'object' && value !== null && 'counts' in value && 'scanned' in value;
}

/** Registry of `count` repositories, every 20th MUTABLE (5 %), plus two exempt sandbox ones. */
function registry(count: number): SeedSpec[] {
  const specs: SeedSpec[] = Array.from({ length: count }, (_, index) => ({
    name: `svc/repo-${String(index).padStart(5, '0')}`,
    mutability: index % 20 === 0 ? 'MUTABLE' : 'IMMUTABLE',
  }));
  specs.push({ name: 'sandbox/a', mutability: 'MUTABLE' }, { name: 'sandbox/b', mutability: 'MUTABLE' });
  return specs;
}

/** Runs `act` and returns the audit lines (`ecr-guard audit`) the bundle logged at INFO meanwhile. */
async function auditLinesOf(act: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  let output = '';
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    output += String(chunk);
    return true;
  });
  try {
    await act();
  } finally {
    write.mockRestore();
  }
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line): unknown => JSON.parse(line))
    .filter((line): line is Record<string, unknown> => {
      return typeof line === 'object' && line !== null && 'message' in line && line.message === AUDIT_MESSAGE;
    });
}

const IMMUTABLE = { imageTagMutability: 'IMMUTABLE', exclusionFilters: [] };
const MUTABLE = { imageTagMutability: 'MUTABLE', exclusionFilters: [] };

const SCHEDULED = {
  version: '0',
  id: 'e2e-scheduled',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: '2026-11-29T06:00:00Z',
  region: 'eu-west-1',
  resources: ['arn:aws:events:eu-west-1:123456789012:rule/sweep'],
  detail: {},
};

function runCli(args: readonly string[], env: Record<string, string>) {
  return runNode([path.join(projectRoot, 'dist', 'bin', 'ecr-guard.mjs'), ...args], {
    PATH: process.env.PATH,
    ...env,
  });
}

describe('dist/sweep and the CLI against ECR', () => {
  let backend: Backend;
  // moto creates repositories one API call at a time; keep its registry small.
  let size: number;
  let specs: SeedSpec[];
  let mutable: number;

  beforeAll(async () => {
    backend = await startBackend();
    size = backend.kind === 'emulator' ? 2_500 : 120;
    specs = registry(size);
    mutable = specs.filter(
      (spec) => spec.mutability === 'MUTABLE' && !spec.name.startsWith('sandbox/'),
    ).length;
  });
  beforeEach(async () => {
    await backend.reset();
    await backend.seed(specs);
  });
  afterEach(() => restoreBundleEnv());
  afterAll(async () => backend.stop());

  it('changes nothing in a backfill dry-run and reports what it would change', async () => {
    const sweep = await loadBundle(
      'sweep',
      bundleEnv(backend, { EXEMPT_REPOSITORIES: 'sandbox/**', POWERTOOLS_LOG_LEVEL: 'INFO' }),
    );
    let result: unknown;
    const audit = await auditLinesOf(async () => {
      result = await sweep({ dryRun: true }, fakeContext(900_000));
    });
    const wouldRemediate = audit.filter((line) => line.outcome === 'would-remediate');
    expect(wouldRemediate).toHaveLength(mutable);
    for (const line of wouldRemediate)
      expect(line).toMatchObject({ dryRun: true, before: MUTABLE, after: IMMUTABLE });
    expect(result).toEqual({
      counts: {
        compliant: size - mutable,
        remediated: 0,
        'would-remediate': mutable,
        exempt: 2,
        gone: 0,
        failed: 0,
      },
      scanned: size + 2,
      // The account (from the function's ARN) and the region every record of this run is about.
      accountId: '123456789012',
      region: 'eu-west-1',
    });
    expect(backend.calls()).toEqual({ DescribeRepositories: Math.ceil((size + 2) / 1000) });
    const registryAfter = await backend.snapshot();
    expect([...registryAfter.values()].filter((setting) => setting.mutability === 'MUTABLE')).toHaveLength(
      mutable + 2,
    );
  });

  it('fixes exactly the non-compliant repositories with ceil(N/1000) describes', async () => {
    const sweep = await loadBundle(
      'sweep',
      bundleEnv(backend, { EXEMPT_REPOSITORIES: 'sandbox/**', POWERTOOLS_LOG_LEVEL: 'INFO' }),
    );
    let result: unknown;
    const audit = await auditLinesOf(async () => {
      result = await sweep(SCHEDULED, fakeContext(900_000));
    });
    // Each audit record shows the setting found and the one written; exempt ones are left as found.
    const remediated = audit.filter((line) => line.outcome === 'remediated');
    expect(remediated).toHaveLength(mutable);
    for (const line of remediated)
      expect(line).toMatchObject({ dryRun: false, before: MUTABLE, after: IMMUTABLE });
    const exempt = audit.filter((line) => line.outcome === 'exempt');
    // Records come in the order the pages are decided, which ECR (and moto) do not promise: compare by name.
    const exemptRows = exempt.map((line) => [String(line.repositoryName), line.before, line.after] as const);
    expect(exemptRows.sort(([a], [b]) => a.localeCompare(b))).toEqual([
      ['sandbox/a', MUTABLE, MUTABLE],
      ['sandbox/b', MUTABLE, MUTABLE],
    ]);
    expect(result).toEqual({
      counts: {
        compliant: size - mutable,
        remediated: mutable,
        'would-remediate': 0,
        exempt: 2,
        gone: 0,
        failed: 0,
      },
      scanned: size + 2,
      // The account (from the function's ARN) and the region every record of this run is about.
      accountId: '123456789012',
      region: 'eu-west-1',
    });
    expect(backend.calls()).toEqual({
      DescribeRepositories: Math.ceil((size + 2) / 1000),
      PutImageTagMutability: mutable,
    });
    const registryAfter = await backend.snapshot();
    for (const [name, setting] of registryAfter) {
      expect(setting.mutability, name).toBe(name.startsWith('sandbox/') ? 'MUTABLE' : 'IMMUTABLE');
    }
  });

  it('covers every repository exactly once across resumptions forced by a tiny time budget', async () => {
    const sweep = await loadBundle(
      'sweep',
      bundleEnv(backend, {
        SWEEP_SAFETY_MARGIN_MS: '1000',
        SWEEP_CONCURRENCY: '2',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        VERBOSE_AUDIT: 'true',
      }),
    );
    const totals: Record<string, number> = {};
    let scanned = 0;
    let invocations = 0;
    let input: unknown = SCHEDULED;
    const audit = await auditLinesOf(async () => {
      for (;;) {
        invocations += 1;
        // The clock says the deadline is near after size/10 readings (about two per repository
        // started), whatever the registry's size: some twenty invocations on any backend, most of them
        // resuming inside a page.
        let budget = Math.ceil(size / 10);
        const context = { ...fakeContext(), getRemainingTimeInMillis: () => (budget-- > 0 ? 60_000 : 500) };
        const result = await sweep(input, context);
        if (!isSummary(result)) throw new Error('unexpected sweep result');
        scanned += result.scanned;
        for (const [outcome, count] of Object.entries(result.counts))
          totals[outcome] = (totals[outcome] ?? 0) + count;
        if (result.nextToken === undefined) break;
        input = { nextToken: result.nextToken };
        expect(invocations).toBeLessThan(100);
      }
    });
    console.error('INVOCATIONS', invocations);
    expect(invocations).toBeGreaterThanOrEqual(10);
    expect(scanned).toBe(size + 2);
    // One audit record per repository: none decided twice, none left out.
    const decided = audit.map((line) => String(line.repositoryName)).sort();
    expect(decided).toEqual(specs.map((spec) => spec.name).sort());
    expect(totals).toEqual({
      compliant: size - mutable,
      remediated: mutable + 2,
      'would-remediate': 0,
      exempt: 0,
      gone: 0,
      failed: 0,
    });
  });

  itOnEmulator('faults', 60_000)('still counts every repository when puts are throttled', async () => {
    const admin = adminOf(backend);
    await admin.faults({ seed: 7, PutImageTagMutability: { throttle: { probability: 0.3 } } });
    // Random (not rate-based) throttling drives the SDK's adaptive rate limiter to its floor; real ECR
    // throttles by rate, so this test uses the standard retry mode to stay fast.
    const sweep = await loadBundle(
      'sweep',
      bundleEnv(backend, { AWS_MAX_ATTEMPTS: '2', AWS_RETRY_MODE: 'standard' }),
    );
    const result = await sweep(SCHEDULED, fakeContext(900_000));
    if (!isSummary(result)) throw new Error('unexpected sweep result');
    const total = Object.values(result.counts).reduce((sum, count) => sum + count, 0);
    expect(total).toBe(size + 2);
    expect((result.counts.remediated ?? 0) + (result.counts.failed ?? 0)).toBe(mutable + 2);
    const stats = await admin.stats();
    expect(stats.operations.PutImageTagMutability?.errors.ThrottlingException ?? 0).toBeGreaterThan(0);
  });

  it('checks given names in batches and reports a missing one as gone without hiding the others', async () => {
    const sweep = await loadBundle('sweep', bundleEnv(backend));
    const chosen = specs.slice(0, 150);
    const names = [...chosen.map((spec) => spec.name), 'svc/deleted-meanwhile'];
    const result = await sweep({ repositoryNames: names }, fakeContext(900_000));
    const chosenMutable = chosen.filter((spec) => spec.mutability === 'MUTABLE').length;
    expect(result).toMatchObject({
      scanned: chosen.length + 1,
      counts: { gone: 1, remediated: chosenMutable, compliant: chosen.length - chosenMutable },
    });
  });

  itOnEmulator('creation templates')('checks and fixes creation templates when asked', async () => {
    const admin = adminOf(backend);
    await admin.seed({
      region: 'eu-west-1',
      templates: [
        { prefix: 'ROOT', imageTagMutability: 'MUTABLE' },
        {
          prefix: 'ecr-public',
          imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
          imageTagMutabilityExclusionFilters: [{ filter: 'latest', filterType: 'WILDCARD' }],
        },
      ],
    });
    const sweep = await loadBundle(
      'sweep',
      bundleEnv(backend, {
        CHECK_CREATION_TEMPLATES: 'true',
        ALLOWED_EXCLUSIONS: 'latest',
        DRY_RUN: 'false',
      }),
    );
    const result = await sweep(SCHEDULED, fakeContext(900_000));
    expect(result).toMatchObject({
      scanned: size + 2,
      templates: { remediated: 1, compliant: 1, failed: 0 },
    });
    const templates = await admin.templates({ region: 'eu-west-1' });
    expect(templates.templates.map((t) => [t.prefix, t.imageTagMutability])).toEqual([
      ['ROOT', 'IMMUTABLE'],
      ['ecr-public', 'IMMUTABLE_WITH_EXCLUSION'],
    ]);
  });

  it('accepts allowed exclusions and cuts a wider filter down to them, never widening it', async () => {
    await backend.seed([
      { name: 'tools/allowed', mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['latest'] },
      { name: 'tools/too-wide', mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['*'] },
    ]);
    const sweep = await loadBundle('sweep', bundleEnv(backend, { ALLOWED_EXCLUSIONS: 'latest,dev-*' }));
    await sweep({ repositoryNames: ['tools/allowed', 'tools/too-wide'] }, fakeContext(900_000));
    const registryAfter = await backend.snapshot();
    expect(registryAfter.get('tools/allowed')).toEqual({
      mutability: 'IMMUTABLE_WITH_EXCLUSION',
      exclusionFilters: ['latest'],
    });
    // `*` left every tag mutable; the write keeps only what the policy allows (docs/architecture.md, "Strictness").
    expect(registryAfter.get('tools/too-wide')).toEqual({
      mutability: 'IMMUTABLE_WITH_EXCLUSION',
      exclusionFilters: ['dev-*', 'latest'],
    });
  });

  it('rejects a payload with an unknown key, naming it', async () => {
    const sweep = await loadBundle('sweep', bundleEnv(backend));
    const error = await sweep({ dryrun: true }, fakeContext()).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: 'InvalidInputError', message: expect.stringContaining('dryrun') });
  });

  describe('ecr-guard CLI', () => {
    const env = () => ({
      AWS_ENDPOINT_URL_ECR: backend.url,
      // The CLI asks STS whose account it acts on (GetCallerIdentity, once per run).
      AWS_ENDPOINT_URL_STS: backend.url,
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    });

    it('check exits 3 and prints JSON lines for non-compliant repositories', async () => {
      const result = await runCli(['check', 'svc/repo-00000', 'svc/repo-00001', '--json'], env());
      expect(result.code).toBe(3);
      const lines = result.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(lines).toEqual([
        expect.objectContaining({
          type: 'audit',
          outcome: 'would-remediate',
          repositoryName: 'svc/repo-00000',
        }),
        expect.objectContaining({ type: 'summary', region: 'eu-west-1', status: 'completed', scanned: 2 }),
        expect.objectContaining({ type: 'total', result: 'succeeded', scanned: 2 }),
      ]);
    });

    it('sweep fixes the registry and exits 0; a second check exits 0', async () => {
      const sweep = await runCli(['sweep', '--exempt-repository', 'sandbox/**'], env());
      expect(sweep.code).toBe(0);
      const summary = sweep.stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { type: string; counts?: Record<string, number> })
        .find((line) => line.type === 'summary');
      expect(summary?.counts).toMatchObject({ remediated: mutable, exempt: 2, failed: 0 });
      expect((await runCli(['check', 'svc/repo-00000'], env())).code).toBe(0);
    });

    it('exits 2 on bad usage and names the option', async () => {
      const result = await runCli(['sweep', '--concurrency', 'lots'], env());
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('--concurrency');
    });

    itOnEmulator('faults')('exits 1 when a repository fails', async () => {
      await adminOf(backend).faults({ PutImageTagMutability: { throttle: { probability: 1 } } });
      const result = await runCli(['remediate', 'svc/repo-00000', '--json'], {
        ...env(),
        AWS_MAX_ATTEMPTS: '1',
      });
      expect(result.code).toBe(1);
      expect(result.stdout).toContain('"errorCode":"ThrottlingException"');
    });
  });
});

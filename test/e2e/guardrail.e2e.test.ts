/**
 * The built guardrail bundle against a real ECR implementation (the emulator by default), through
 * the unmodified SDK: every sample in events/ ends as designed, the registry shows it, and the
 * call counts are exactly those the design allows.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadSampleEvent } from '../helpers/fixtures.ts';
import { fakeContext, loadBundle, restoreBundleEnv } from '../helpers/lambda.ts';
import { type Backend, bundleEnv, type SeedSpec, startBackend } from './backend.ts';

interface Scenario {
  readonly seed: readonly SeedSpec[];
  readonly outcome: 'remediated' | 'ignored' | 'compliant' | 'invalid';
  readonly repository?: string;
  readonly after?: string;
  readonly calls: Record<string, number>;
}

const SCENARIOS: Record<string, Scenario> = {
  'create-repository-default-mutable.json': {
    seed: [{ name: 'payments/api', mutability: 'MUTABLE' }],
    outcome: 'remediated',
    repository: 'payments/api',
    after: 'IMMUTABLE',
    calls: { DescribeRepositories: 1, PutImageTagMutability: 1 },
  },
  'create-repository-mutable-with-tags.json': {
    seed: [{ name: 'team-a/web', mutability: 'MUTABLE', tags: { team: 'a' } }],
    outcome: 'remediated',
    repository: 'team-a/web',
    after: 'IMMUTABLE',
    calls: { DescribeRepositories: 1, PutImageTagMutability: 1 },
  },
  'create-repository-immutable.json': {
    seed: [{ name: 'team-a/worker', mutability: 'IMMUTABLE' }],
    outcome: 'ignored',
    repository: 'team-a/worker',
    after: 'IMMUTABLE',
    calls: {},
  },
  'put-image-tag-mutability-mutable.json': {
    seed: [{ name: 'payments/ledger', mutability: 'MUTABLE' }],
    outcome: 'remediated',
    repository: 'payments/ledger',
    after: 'IMMUTABLE',
    calls: { DescribeRepositories: 1, PutImageTagMutability: 1 },
  },
  'put-image-tag-mutability-mutable-with-exclusion.json': {
    seed: [
      { name: 'payments/ledger', mutability: 'MUTABLE_WITH_EXCLUSION', exclusionFilters: ['release-*'] },
    ],
    outcome: 'remediated',
    repository: 'payments/ledger',
    after: 'IMMUTABLE',
    calls: { DescribeRepositories: 1, PutImageTagMutability: 1 },
  },
  'put-image-tag-mutability-immutable.json': {
    seed: [{ name: 'payments/ledger', mutability: 'IMMUTABLE' }],
    outcome: 'ignored',
    repository: 'payments/ledger',
    after: 'IMMUTABLE',
    calls: {},
  },
  'create-repository-failed.json': {
    seed: [{ name: 'payments/api', mutability: 'MUTABLE' }],
    outcome: 'ignored',
    repository: 'payments/api',
    after: 'MUTABLE',
    calls: {},
  },
  'delete-repository.json': { seed: [], outcome: 'ignored', calls: {} },
  'service-event-create-repository.json': {
    seed: [{ name: 'ecr-public/docker/library/nginx', mutability: 'MUTABLE' }],
    outcome: 'remediated',
    repository: 'ecr-public/docker/library/nginx',
    after: 'IMMUTABLE',
    calls: { DescribeRepositories: 1, PutImageTagMutability: 1 },
  },
  'malformed-missing-repository-name.json': {
    seed: [{ name: 'payments/ledger', mutability: 'MUTABLE' }],
    outcome: 'invalid',
    repository: 'payments/ledger',
    after: 'MUTABLE',
    calls: {},
  },
};

describe('dist/guardrail against ECR', () => {
  let backend: Backend;

  beforeAll(async () => {
    backend = await startBackend();
  });
  beforeEach(async () => backend.reset());
  afterEach(() => restoreBundleEnv());
  afterAll(async () => backend.stop());

  it.each(Object.entries(SCENARIOS))('handles %s', async (name, scenario) => {
    // Prepare
    await backend.seed(scenario.seed);
    const handler = await loadBundle('guardrail', bundleEnv(backend));
    // Act
    const result = await handler(loadSampleEvent(name), fakeContext()).catch((error: unknown) => error);
    // Assess
    if (scenario.outcome === 'invalid') {
      expect(result).toMatchObject({ name: 'InvalidEventError' });
    } else {
      expect(result).toMatchObject({ counts: { [scenario.outcome]: 1 } });
    }
    const seeded = scenario.seed[0];
    if (scenario.outcome === 'remediated' && seeded !== undefined) {
      // The audit record shows the setting found and the one written.
      expect(result).toMatchObject({
        records: [
          {
            outcome: 'remediated',
            before: {
              imageTagMutability: seeded.mutability,
              exclusionFilters: [...(seeded.exclusionFilters ?? [])],
            },
            after: { imageTagMutability: scenario.after, exclusionFilters: [] },
          },
        ],
      });
    }
    if (scenario.repository !== undefined) {
      const registry = await backend.snapshot();
      expect(registry.get(scenario.repository)?.mutability).toBe(scenario.after);
    }
    expect(backend.calls()).toEqual(scenario.calls);
  });

  it('remediates with exactly the configured exclusion filters', async () => {
    await backend.seed([{ name: 'payments/ledger', mutability: 'MUTABLE' }]);
    const handler = await loadBundle(
      'guardrail',
      bundleEnv(backend, {
        TARGET_MUTABILITY: 'IMMUTABLE_WITH_EXCLUSION',
        EXCLUSION_FILTERS: 'latest,dev-*',
      }),
    );
    const result = await handler(loadSampleEvent('put-image-tag-mutability-mutable.json'), fakeContext());
    expect(result).toMatchObject({
      records: [
        {
          outcome: 'remediated',
          before: { imageTagMutability: 'MUTABLE', exclusionFilters: [] },
          after: { imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['dev-*', 'latest'] },
        },
      ],
    });
    expect((await backend.snapshot()).get('payments/ledger')).toEqual({
      mutability: 'IMMUTABLE_WITH_EXCLUSION',
      exclusionFilters: expect.arrayContaining(['latest', 'dev-*']),
    });
  });

  it('is harmless when the same event is delivered twice', async () => {
    await backend.seed([{ name: 'payments/api', mutability: 'MUTABLE' }]);
    const handler = await loadBundle('guardrail', bundleEnv(backend));
    const first = await handler(loadSampleEvent('create-repository-default-mutable.json'), fakeContext());
    const second = await handler(loadSampleEvent('create-repository-default-mutable.json'), fakeContext());
    const immutable = { imageTagMutability: 'IMMUTABLE', exclusionFilters: [] };
    expect(first).toMatchObject({
      counts: { remediated: 1 },
      records: [{ before: { imageTagMutability: 'MUTABLE', exclusionFilters: [] }, after: immutable }],
    });
    expect(second).toMatchObject({
      counts: { compliant: 1 },
      records: [{ before: immutable, after: immutable }],
    });
    expect(backend.calls()).toEqual({ DescribeRepositories: 2, PutImageTagMutability: 1 });
  });

  it('honours a tag exemption and publishes an audit event for it', async () => {
    await backend.seed([
      { name: 'payments/ledger', mutability: 'MUTABLE', tags: { 'ecr-guard:exempt': 'vendor mirror' } },
    ]);
    await backend.createEventBus('security-audit');
    const handler = await loadBundle(
      'guardrail',
      bundleEnv(backend, { EXEMPT_TAG_KEY: 'ecr-guard:exempt', AUDIT_EVENT_BUS_NAME: 'security-audit' }),
    );
    const result = await handler(loadSampleEvent('put-image-tag-mutability-mutable.json'), fakeContext());
    expect(result).toMatchObject({
      counts: { exempt: 1 },
      records: [
        {
          reason: "rule exempt-tag: ecr-guard:exempt='vendor mirror'",
          before: { imageTagMutability: 'MUTABLE', exclusionFilters: [] },
          after: { imageTagMutability: 'MUTABLE', exclusionFilters: [] },
        },
      ],
    });
    expect((await backend.snapshot()).get('payments/ledger')?.mutability).toBe('MUTABLE');
    expect(backend.events()).toEqual([
      expect.objectContaining({
        source: 'ecr-immutability-guard',
        detailType: 'ECR Repository Tag Mutability Exempted',
        eventBusName: 'security-audit',
        detail: expect.objectContaining({ repositoryName: 'payments/ledger', outcome: 'exempt' }),
      }),
    ]);
  });
});

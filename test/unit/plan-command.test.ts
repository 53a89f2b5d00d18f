import {
  DescribeImagesCommand,
  ECRClient,
  ListTagsForResourceCommand,
  TagResourceCommand,
} from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { parsePlanOptions } from '../../bin/commands/plan-options.ts';
import {
  type PlanLine,
  type PlanRegionSummary,
  planExitCode,
  planRegion,
} from '../../bin/commands/plan-region.ts';
import type { AuditRecord } from '../../lib/audit.ts';
import { type CloudTrailAdapter, LookupFailedError } from '../../lib/cloudtrail.ts';
import { createEcrAdapter } from '../../lib/ecr.ts';
import { AwsCallError, InvalidInputError } from '../../lib/errors.ts';
import { ECR_ACTIONS } from '../../lib/iam-actions.ts';
import type { PushRecord, UntaggedImage } from '../../lib/push-history.ts';
import { runCliInProcess } from '../helpers/cli-in-process.ts';
import { createMemoryEcr, type MemoryEcr } from '../helpers/memory-ecr.ts';
import { testConfig } from '../helpers/runtime.ts';

const NOW = new Date('2026-11-30T12:00:00Z');
const TAGS = { EXEMPT_TAG_KEY: 'ecr-guard:exempt', EXEMPT_EXPIRY_TAG_KEY: 'ecr-guard:until' };

function push(repositoryName: string, tag: string, digest: string, minute: number): PushRecord {
  return {
    repositoryName,
    imageTag: tag,
    imageDigest: digest,
    actor: 'arn:aws:iam::123456789012:role/ci',
    sourceIp: '203.0.113.12',
    registryId: '123456789012',
    region: 'eu-west-1',
    eventTime: new Date(NOW.getTime() - minute * 60_000).toISOString(),
    eventId: `e-${minute}`,
    errorCode: undefined,
  };
}

function trail(
  pushes: readonly PushRecord[] | Error,
  duringLookup: () => void = () => {},
): CloudTrailAdapter & { lookups: number } {
  const adapter = {
    lookups: 0,
    async lookupPushes() {
      adapter.lookups += 1;
      duringLookup();
      if (pushes instanceof Error) throw pushes;
      return {
        pushes,
        events: pushes.length,
        unreadable: 0,
        unreadableByRepository: new Map(),
        calls: Math.max(1, Math.ceil(pushes.length / 50)),
      };
    },
  };
  return adapter;
}

async function plan(options: {
  seed: Record<string, string>;
  pushes: readonly PushRecord[] | Error;
  env?: Record<string, string>;
  until?: string;
  tags?: Record<string, Record<string, string>>;
  /** Exclusion filters of seeded repositories. */
  filters?: Record<string, string[]>;
  untagged?: Record<string, UntaggedImage[]>;
  signal?: AbortSignal;
  /** Runs while CloudTrail is read (to press Ctrl-C then). */
  duringLookup?: () => void;
  /** Changes the registry's answers (what others do while the plan runs). */
  prepare?: (ecr: MemoryEcr) => void;
}) {
  const ecr = createMemoryEcr(options.seed);
  options.prepare?.(ecr);
  for (const [name, tags] of Object.entries(options.tags ?? {})) {
    const repository = ecr.repositories.get(name);
    if (repository !== undefined) repository.tags = tags;
  }
  for (const [name, exclusionFilters] of Object.entries(options.filters ?? {})) {
    const repository = ecr.repositories.get(name);
    if (repository !== undefined) ecr.repositories.set(name, { ...repository, exclusionFilters });
  }
  for (const [name, images] of Object.entries(options.untagged ?? {})) {
    const repository = ecr.repositories.get(name);
    if (repository !== undefined) repository.untagged = images;
  }
  const cloudTrail = trail(options.pushes, options.duringLookup);
  const lines: PlanLine[] = [];
  const records: AuditRecord[] = [];
  const summary = await planRegion({
    ecr,
    cloudTrail: () => cloudTrail,
    config: testConfig(options.env ?? {}),
    region: 'eu-west-1',
    registryId: undefined,
    now: NOW,
    options: { days: 30, until: options.until },
    onLine: (line) => lines.push(line),
    onRecord: (record) => records.push(record),
    onProgress: () => {},
    signal: options.signal,
  });
  return { summary, lines, records, ecr, cloudTrail };
}

describe('planning one account-region', () => {
  it('says which non-compliant repository can flip and which would break, with one CloudTrail pass', async () => {
    // Prepare
    const pushes = [
      push('team/api', 'latest', 'sha256:a', 30),
      push('team/api', 'latest', 'sha256:b', 10),
      push('team/web', 'v1', 'sha256:c', 5),
    ];
    // Act
    const { summary, lines, cloudTrail } = await plan({
      seed: { 'team/api': 'MUTABLE', 'team/web': 'MUTABLE', 'team/done': 'IMMUTABLE' },
      pushes,
    });
    // Assess
    expect(cloudTrail.lookups).toBe(1);
    expect(lines.map((line) => [line.repositoryName, line.plan.verdict])).toEqual([
      ['team/api', 'would-break'],
      ['team/web', 'safe-to-flip'],
    ]);
    expect(lines[0]?.plan.movedTags).toMatchObject([{ tag: 'latest', moves: 1 }]);
    expect(summary).toMatchObject({ candidates: 2, safeToFlip: 1, wouldBreak: 1, failed: 0, pushEvents: 3 });
    expect(planExitCode([summary])).toBe(3);
  });

  it('makes no CloudTrail call when every repository is compliant', async () => {
    const { summary, cloudTrail } = await plan({ seed: { 'team/done': 'IMMUTABLE' }, pushes: [] });
    expect(cloudTrail.lookups).toBe(0);
    expect(planExitCode([summary])).toBe(0);
  });

  it('says no-history when the account-region has no PutImage event at all', async () => {
    const { lines } = await plan({ seed: { 'team/api': 'MUTABLE' }, pushes: [] });
    expect(lines.map((line) => line.plan.verdict)).toEqual(['no-history']);
  });

  it('says unknown, naming the error, when the lookup fails', async () => {
    const denied = new AwsCallError('cloudtrail', 'LookupEvents', 'AccessDeniedException', false);
    const { lines, summary } = await plan({ seed: { 'team/api': 'MUTABLE' }, pushes: denied });
    expect(lines[0]?.plan).toMatchObject({
      verdict: 'unknown',
      reason: expect.stringContaining('AccessDeniedException'),
    });
    expect(summary.unknown).toBe(1);
    expect(planExitCode([summary])).toBe(1);
  });

  it('is safe for a tag the target itself leaves mutable, would-break for the others', async () => {
    const pushes = [
      push('team/api', 'latest', 'sha256:a', 30),
      push('team/api', 'latest', 'sha256:b', 10),
      push('team/web', 'latest', 'sha256:a', 30),
      push('team/web', 'latest', 'sha256:b', 20),
      push('team/web', 'dev', 'sha256:c', 15),
      push('team/web', 'dev', 'sha256:d', 10),
    ];
    const { lines, summary } = await plan({
      seed: { 'team/api': 'MUTABLE', 'team/web': 'MUTABLE' },
      pushes,
      env: { TARGET_MUTABILITY: 'IMMUTABLE_WITH_EXCLUSION', EXCLUSION_FILTERS: 'latest' },
    });
    expect(lines[0]?.plan).toMatchObject({
      verdict: 'safe-to-flip',
      breakingTags: [],
      suggestion: { kind: 'target', setting: { exclusionFilters: ['latest'] } },
      reason: expect.stringContaining('[latest] moved but stay mutable'),
    });
    expect(lines[1]?.plan).toMatchObject({ verdict: 'would-break', breakingTags: ['dev'] });
    expect(summary).toMatchObject({ safeToFlip: 1, wouldBreak: 1 });
  });

  it('says unknown when an untagged image no push of the window explains shows a tag moved before it', async () => {
    const untagged = { digest: 'sha256:old', pushedAt: '2026-06-01T00:00:00.000Z' };
    const explained = { digest: 'sha256:c', pushedAt: '2026-11-30T11:55:00.000Z' };
    const { lines, summary, ecr } = await plan({
      seed: { 'team/api': 'MUTABLE', 'team/web': 'MUTABLE' },
      pushes: [push('team/api', 'v1', 'sha256:a', 30), push('team/web', 'v2', 'sha256:c', 5)],
      untagged: { 'team/api': [untagged], 'team/web': [explained] },
    });
    expect(lines.map((line) => [line.repositoryName, line.plan.verdict])).toEqual([
      ['team/api', 'unknown'],
      ['team/web', 'safe-to-flip'],
    ]);
    expect(lines[0]?.plan.reason).toContain('1 untagged image(s), the oldest pushed 2026-06-01');
    expect(ecr.calls.images).toBe(2);
    expect(summary).toMatchObject({ unknown: 1, safeToFlip: 1 });
    expect(planExitCode([summary])).toBe(3);
  });

  it('fails (exit 1) when CloudTrail cannot be read, counting the calls it made', async () => {
    const denied = new LookupFailedError(
      new AwsCallError('cloudtrail', 'LookupEvents', 'ThrottlingException', true),
      4,
    );
    const { summary } = await plan({ seed: { 'team/api': 'MUTABLE' }, pushes: denied });
    expect(summary).toMatchObject({ cloudTrailError: 'ThrottlingException', lookupCalls: 4, unknown: 1 });
    expect(planExitCode([summary])).toBe(1);
  });

  it('writes nothing without --stage-exemptions', async () => {
    const { ecr } = await plan({
      seed: { 'team/api': 'MUTABLE' },
      pushes: [push('team/api', 'latest', 'sha256:a', 30), push('team/api', 'latest', 'sha256:b', 10)],
      env: TAGS,
    });
    expect(ecr.writes).toEqual([]);
  });
});

describe('staging exemptions', () => {
  const moving = [
    push('team/api', 'latest', 'sha256:a', 30),
    push('team/api', 'latest', 'sha256:b', 10),
    push('team/old', 'dev', 'sha256:a', 30),
    push('team/old', 'dev', 'sha256:b', 10),
    push('team/web', 'v1', 'sha256:c', 5),
  ];

  it('tags each would-break repository with the reason and the expiry, audited', async () => {
    // Act
    const { ecr, records, summary, lines } = await plan({
      seed: { 'team/api': 'MUTABLE', 'team/web': 'MUTABLE' },
      pushes: moving,
      env: TAGS,
      until: '2026-12-31',
    });
    // Assess
    expect(ecr.repositories.get('team/api')?.tags).toEqual({
      'ecr-guard:exempt': 'ecr-guard plan: moving tags latest - flip after 2026-12-31',
      'ecr-guard:until': '2026-12-31',
    });
    expect(ecr.repositories.get('team/web')?.tags).toBeUndefined();
    expect(records).toEqual([
      expect.objectContaining({
        outcome: 'exemption-staged',
        repositoryName: 'team/api',
        reason: expect.stringContaining("ecr-guard:until='2026-12-31'"),
      }),
    ]);
    expect(lines.map((line) => [line.repositoryName, line.staging])).toEqual([
      ['team/api', 'exemption-staged'],
      ['team/web', undefined],
    ]);
    expect(summary).toMatchObject({ staged: 1, alreadyExempt: 0, safeToFlip: 1 });
    expect(planExitCode([summary])).toBe(0);
  });

  it.each([
    [
      'expired',
      { 'ecr-guard:exempt': 'legacy CI', 'ecr-guard:until': '2026-01-01' },
      'expired on 2026-01-01',
    ],
    ['empty', { 'ecr-guard:exempt': ' ' }, 'has no reason'],
    ['malformed', { 'ecr-guard:exempt': 'legacy CI', 'ecr-guard:until': 'soon' }, 'is not an ISO date'],
  ])(
    'stages anew over an exemption the policy does not honour (%s), never calling it already exempt',
    async (_name, tags, note) => {
      const { ecr, records, summary, lines } = await plan({
        seed: { 'team/old': 'MUTABLE' },
        pushes: moving,
        env: TAGS,
        until: '2026-12-31',
        tags: { 'team/old': tags },
      });
      expect(ecr.repositories.get('team/old')?.tags).toEqual({
        'ecr-guard:exempt': 'ecr-guard plan: moving tags dev - flip after 2026-12-31',
        'ecr-guard:until': '2026-12-31',
      });
      expect(lines[0]?.staging).toBe('exemption-staged');
      expect(records).toEqual([
        expect.objectContaining({
          outcome: 'exemption-staged',
          reason: expect.stringContaining(`replacing an exemption not honoured: exemption`),
        }),
      ]);
      expect(records[0]?.reason).toContain(note);
      expect(summary).toMatchObject({ staged: 1, alreadyExempt: 0 });
      expect(planExitCode([summary])).toBe(0);
    },
  );

  it('sets a would-break repository within the allowed exclusions instead of exempting it, when that is safe', async () => {
    // Prepare: team/api moves `latest`, which the policy allows a repository to leave mutable.
    const { ecr, records, summary, lines } = await plan({
      seed: { 'team/api': 'MUTABLE', 'team/old': 'MUTABLE' },
      pushes: moving,
      env: { ...TAGS, ALLOWED_EXCLUSIONS: 'latest' },
      until: '2026-12-31',
    });
    // Assess: the compliant exclusion setting is written, no exemption tag; team/old needs its owner.
    expect(ecr.repositories.get('team/api')).toMatchObject({
      mutability: 'IMMUTABLE_WITH_EXCLUSION',
      exclusionFilters: ['latest'],
    });
    expect(ecr.repositories.get('team/api')?.tags).toBeUndefined();
    expect(ecr.repositories.get('team/old')?.tags).toMatchObject({ 'ecr-guard:until': '2026-12-31' });
    expect(lines.map((line) => [line.repositoryName, line.staging])).toEqual([
      ['team/api', 'exclusion-set'],
      ['team/old', 'exemption-staged'],
    ]);
    expect(records).toContainEqual(
      expect.objectContaining({
        outcome: 'remediated',
        repositoryName: 'team/api',
        before: { imageTagMutability: 'MUTABLE', exclusionFilters: [] },
        after: { imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['latest'] },
        reason: expect.stringContaining('keeping moved tags [latest] mutable'),
      }),
    );
    expect(summary).toMatchObject({ wouldBreak: 2, exclusionsSet: 1, staged: 1 });
    expect(planExitCode([summary])).toBe(0);
  });

  it('keeps an exemption the policy honours that appeared after the listing (already-exempt)', async () => {
    const { ecr, summary, lines } = await plan({
      seed: { 'team/api': 'MUTABLE' },
      pushes: moving,
      env: TAGS,
      until: '2026-12-31',
      prepare: (memory) => {
        const listTags = memory.listTags.bind(memory);
        let reads = 0;
        memory.listTags = async (facts) => {
          reads += 1;
          const repository = memory.repositories.get(facts.repositoryName);
          // Its owner exempts it between the plan's listing and its staging.
          if (reads === 2 && repository !== undefined)
            repository.tags = { 'ecr-guard:exempt': 'owner: INC-9', 'ecr-guard:until': '2027-03-01' };
          return listTags(facts);
        };
      },
    });
    expect(lines[0]?.staging).toBe('already-exempt');
    expect(ecr.repositories.get('team/api')?.tags).toEqual({
      'ecr-guard:exempt': 'owner: INC-9',
      'ecr-guard:until': '2027-03-01',
    });
    expect(summary).toMatchObject({ alreadyExempt: 1, staged: 0 });
  });

  it('exempts instead when the setting changed since the listing so that the flip would no longer keep the moved tags mutable', async () => {
    const { ecr, lines, records } = await plan({
      seed: { 'team/api': 'MUTABLE' },
      pushes: moving,
      env: { ...TAGS, ALLOWED_EXCLUSIONS: 'latest' },
      until: '2026-12-31',
      prepare: (memory) => {
        const describe = memory.describeRepository.bind(memory);
        memory.describeRepository = async (ref, describeOptions) => {
          // Someone made `latest` immutable meanwhile: writing [latest] now would loosen it.
          memory.repositories.set(ref.repositoryName, {
            mutability: 'MUTABLE_WITH_EXCLUSION',
            exclusionFilters: ['latest'],
          });
          return describe(ref, describeOptions);
        };
      },
    });
    expect(lines[0]?.staging).toBe('exemption-staged');
    expect(ecr.repositories.get('team/api')).toMatchObject({
      mutability: 'MUTABLE_WITH_EXCLUSION',
      exclusionFilters: ['latest'],
    });
    expect(records.map((record) => record.outcome)).toEqual(['exemption-staged']);
  });

  it('writes nothing after Ctrl-C during the CloudTrail read, and says it was interrupted', async () => {
    const interrupt = new AbortController();
    const { ecr, summary, lines } = await plan({
      seed: { 'team/api': 'MUTABLE', 'team/old': 'MUTABLE' },
      pushes: moving,
      env: TAGS,
      until: '2026-12-31',
      signal: interrupt.signal,
      duringLookup: () => interrupt.abort(),
    });
    expect(ecr.writes).toEqual([]);
    expect(ecr.repositories.get('team/api')?.tags).toBeUndefined();
    expect(lines).toEqual([]);
    expect(summary).toMatchObject({ candidates: 2, interrupted: true, staged: 0 });
  });

  it('staged exemptions make the sweep leave the repository alone until the date', async () => {
    const { ecr } = await plan({
      seed: { 'team/api': 'MUTABLE' },
      pushes: moving,
      env: TAGS,
      until: '2026-12-31',
    });
    // Decided again at NOW, with its tags, the repository is exempt: the staged tags are honoured.
    const { evaluateRepository } = await import('../../lib/decision.ts');
    const facts = await ecr.describeRepository({ repositoryName: 'team/api' });
    if (facts.kind !== 'found') throw new Error('repository missing');
    const decision = evaluateRepository(
      { ...facts.facts, tags: ecr.repositories.get('team/api')?.tags },
      testConfig(TAGS).policy,
      NOW,
    );
    expect(decision.kind).toBe('exempt');
  });
});

describe('plan options', () => {
  const config = testConfig(TAGS);

  it('defaults to 30 days and stages nothing', () => {
    expect(parsePlanOptions({}, config, NOW)).toEqual({ days: 30, until: undefined });
  });

  it.each([
    [{ days: '0' }, "--days: must be an integer from 1 to 90, got '0'"],
    [{ days: '91' }, '--days: must be an integer from 1 to 90 (CloudTrail keeps 90 days)'],
    [{ days: 'ten' }, "got 'ten'"],
    [{ stageExemptions: true }, '--stage-exemptions: needs --until'],
    [{ until: '2026-12-31' }, '--until: only with --stage-exemptions'],
    [
      { stageExemptions: true, until: '2026-02-30' },
      "--until: must be a calendar date YYYY-MM-DD, got '2026-02-30'",
    ],
    [{ stageExemptions: true, until: '2026-11-30' }, "--until: must be a future date, got '2026-11-30'"],
  ])('rejects %o naming the flag', (raw, message) => {
    expect(() => parsePlanOptions(raw, config, NOW)).toThrow(InvalidInputError);
    try {
      parsePlanOptions(raw, config, NOW);
    } catch (error) {
      expect(error instanceof InvalidInputError && error.issues.join('\n')).toContain(message);
    }
  });

  it('needs the exemption tag keys to stage exemptions', () => {
    expect(() => parsePlanOptions({ stageExemptions: true, until: '2026-12-31' }, testConfig(), NOW)).toThrow(
      /needs the exemption tag key/,
    );
    expect(() =>
      parsePlanOptions(
        { stageExemptions: true, until: '2026-12-31' },
        testConfig({ EXEMPT_TAG_KEY: 'x' }),
        NOW,
      ),
    ).toThrow(/expiry tag key/);
  });

  it('is a usage error (exit 2) through the CLI', async () => {
    const { code, stderr } = await runCliInProcess(['plan', '--days', '120'], {
      env: { AWS_REGION: 'eu-west-1' },
    });
    expect(code).toBe(2);
    expect(stderr).toContain('--days');
  });
});

describe('plan exit codes', () => {
  const line = (overrides: Partial<PlanRegionSummary>): PlanRegionSummary => ({
    region: 'eu-west-1',
    candidates: 0,
    safeToFlip: 0,
    wouldBreak: 0,
    noHistory: 0,
    unknown: 0,
    staged: 0,
    alreadyExempt: 0,
    exclusionsSet: 0,
    failed: 0,
    lookupCalls: 0,
    pushEvents: 0,
    unreadable: 0,
    seconds: 0,
    ...overrides,
  });
  it.each([
    ['everything can flip', [line({ candidates: 2, safeToFlip: 2 })], 0],
    ['some would break', [line({ candidates: 2, safeToFlip: 1, wouldBreak: 1 })], 3],
    ['no history in one region', [line({}), line({ noHistory: 1 })], 3],
    ['failures win', [line({ wouldBreak: 1, failed: 1 })], 1],
    [
      'CloudTrail unreadable is a failure',
      [line({ unknown: 1, cloudTrailError: 'AccessDeniedException' })],
      1,
    ],
    ['set within the allowed exclusions', [line({ wouldBreak: 2, exclusionsSet: 1, staged: 1 })], 0],
  ])('%s', (_name, summaries, code) => {
    expect(planExitCode(summaries)).toBe(code);
  });
});

describe('the ECR adapter tags a repository', () => {
  const ecrMock = mockClient(ECRClient);
  beforeEach(() => ecrMock.reset());

  it('with TagResource on its ARN, declaring ecr:TagResource', async () => {
    ecrMock.on(TagResourceCommand).resolves({});
    const adapter = createEcrAdapter(new ECRClient({ region: 'eu-west-1' }));
    const facts = {
      repositoryName: 'team/api',
      repositoryArn: 'arn:aws:ecr:eu-west-1:123456789012:repository/team/api',
      registryId: '123456789012',
      setting: { mutability: 'MUTABLE', exclusionFilters: [] },
    };
    expect(await adapter.tagRepository(facts, { a: '1' })).toEqual({ kind: 'tagged' });
    expect(ecrMock.commandCalls(TagResourceCommand)[0]?.args[0].input).toEqual({
      resourceArn: facts.repositoryArn,
      tags: [{ Key: 'a', Value: '1' }],
    });
    expect(ecrMock.commandCalls(ListTagsForResourceCommand)).toHaveLength(0);
    expect(ECR_ACTIONS.tagRepository).toEqual(['ecr:TagResource']);
  });
});

describe('the ECR adapter lists untagged images', () => {
  const ecrMock = mockClient(ECRClient);
  beforeEach(() => ecrMock.reset());
  const facts = {
    repositoryName: 'team/api',
    repositoryArn: 'arn:aws:ecr:eu-west-1:123456789012:repository/team/api',
    registryId: '123456789012',
    setting: { mutability: 'MUTABLE', exclusionFilters: [] },
  };

  it('with DescribeImages filtered to UNTAGGED, every page, declaring ecr:DescribeImages', async () => {
    ecrMock
      .on(DescribeImagesCommand)
      .resolvesOnce({
        imageDetails: [{ imageDigest: 'sha256:a', imagePushedAt: new Date('2026-06-01T00:00:00Z') }],
        nextToken: 'p2',
      })
      .resolvesOnce({ imageDetails: [{ imageDigest: 'sha256:b' }] });
    const adapter = createEcrAdapter(new ECRClient({ region: 'eu-west-1' }));
    expect(await adapter.listUntaggedImages(facts)).toEqual({
      kind: 'images',
      images: [
        { digest: 'sha256:a', pushedAt: '2026-06-01T00:00:00.000Z' },
        { digest: 'sha256:b', pushedAt: undefined },
      ],
    });
    const inputs = ecrMock.commandCalls(DescribeImagesCommand).map((call) => call.args[0].input);
    expect(inputs).toEqual([
      {
        registryId: '123456789012',
        repositoryName: 'team/api',
        filter: { tagStatus: 'UNTAGGED' },
        maxResults: 1000,
        nextToken: undefined,
      },
      {
        registryId: '123456789012',
        repositoryName: 'team/api',
        filter: { tagStatus: 'UNTAGGED' },
        maxResults: 1000,
        nextToken: 'p2',
      },
    ]);
    expect(ECR_ACTIONS.listUntaggedImages).toEqual(['ecr:DescribeImages']);
  });

  it('says gone for a deleted repository and fails on a repeated page token', async () => {
    ecrMock
      .on(DescribeImagesCommand)
      .rejectsOnce(Object.assign(new Error('gone'), { name: 'RepositoryNotFoundException' }))
      .resolves({ imageDetails: [], nextToken: 'same' });
    const adapter = createEcrAdapter(new ECRClient({ region: 'eu-west-1' }));
    expect(await adapter.listUntaggedImages(facts)).toEqual({ kind: 'gone' });
    await expect(adapter.listUntaggedImages(facts)).rejects.toMatchObject({ code: 'RepeatedNextToken' });
  });
});

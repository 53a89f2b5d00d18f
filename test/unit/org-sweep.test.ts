import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../lib/audit.ts';
import { createMemberCredentials } from '../../lib/credentials.ts';
import { AwsCallError } from '../../lib/errors.ts';
import {
  type AccountRegionJob,
  executionOrder,
  runOverScope,
  type ScopedAuditRecord,
  sweepJob,
} from '../../lib/org-sweep.ts';
import type { Policy } from '../../lib/policy.ts';
import { buildScope, parseScopeRequest, type Scope, type ScopeTarget } from '../../lib/scope.ts';
import type { SweepRequest } from '../../lib/sweep-input.ts';
import { createMemoryEcr } from '../helpers/memory-ecr.ts';

const A = '111111111111';
const B = '222222222222';
const C = '333333333333';
const D = '444444444444';
const REGIONS = ['eu-west-1', 'us-east-1'];

const POLICY: Policy = { target: { mutability: 'IMMUTABLE', exclusionFilters: [] }, exemptRepositories: [] };
const FULL: SweepRequest = {
  trigger: 'sweep',
  dryRun: false,
  repositoryNames: undefined,
  resume: undefined,
  maxRepositories: undefined,
};

function explicitScope(accounts: string[], regions = REGIONS, excludeAccounts: string[] = []): Scope {
  return buildScope(parseScopeRequest({ accounts, regions, excludeAccounts }));
}

function recordOf(
  outcome: AuditRecord['outcome'],
  name: string,
  extra: Partial<AuditRecord> = {},
): AuditRecord {
  return {
    outcome,
    repositoryName: name,
    repositoryArn: undefined,
    registryId: undefined,
    region: 'somewhere-else-1',
    before: undefined,
    after: undefined,
    trigger: 'sweep',
    dryRun: false,
    reason: outcome,
    ...extra,
  };
}

/** A job that records one compliant repository per account-region after a tick. */
const compliantJob: AccountRegionJob = async (target, record) => {
  await new Promise((resolve) => setImmediate(resolve));
  record(recordOf('compliant', `repo-${target.accountId}-${target.region}`));
  return { scanned: 1, nextToken: undefined };
};

describe('runOverScope', () => {
  it.each([1, 3, 8, 50])('runs at most %i account-regions at once', async (maxParallel) => {
    // Prepare
    const scope = explicitScope([A, B, C, D], ['eu-west-1', 'us-east-1', 'ap-south-1']);
    let inFlight = 0;
    let peak = 0;
    const job: AccountRegionJob = async (target, record) => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      try {
        return await compliantJob(target, record);
      } finally {
        inFlight -= 1;
      }
    };
    // Act
    const summary = await runOverScope(scope, job, { maxParallel, record: () => {} });
    // Assess
    expect(peak).toBe(Math.min(maxParallel, 12));
    expect(summary.statusCounts.completed).toBe(12);
  });

  it('stamps every record with its account and region', async () => {
    const records: ScopedAuditRecord[] = [];
    await runOverScope(explicitScope([A, B]), compliantJob, {
      maxParallel: 2,
      record: (r) => records.push(r),
    });
    expect(records.map((r) => [r.accountId, r.region, r.repositoryName]).sort()).toEqual([
      [A, 'eu-west-1', `repo-${A}-eu-west-1`],
      [A, 'us-east-1', `repo-${A}-us-east-1`],
      [B, 'eu-west-1', `repo-${B}-eu-west-1`],
      [B, 'us-east-1', `repo-${B}-us-east-1`],
    ]);
  });

  it('fails the account whose role cannot be assumed, with STS’s code, and carries on with the others', async () => {
    // Prepare
    const prepared: string[] = [];
    const prepareAccount = async (accountId: string) => {
      prepared.push(accountId);
      if (accountId === B) throw new AwsCallError('sts', 'AssumeRole', 'AccessDenied', false);
    };
    const ran: string[] = [];
    const job: AccountRegionJob = async (target, record) => {
      ran.push(`${target.accountId}/${target.region}`);
      return compliantJob(target, record);
    };
    // Act
    const summary = await runOverScope(explicitScope([A, B, C]), job, {
      maxParallel: 2,
      prepareAccount,
      record: () => {},
    });
    // Assess
    expect(summary.result).toBe('failed');
    expect(ran.sort()).toEqual([`${A}/eu-west-1`, `${A}/us-east-1`, `${C}/eu-west-1`, `${C}/us-east-1`]);
    expect(summary.accountRegions.map((s) => [s.accountId, s.region, s.status, s.errorCode])).toEqual([
      [A, 'eu-west-1', 'completed', undefined],
      [A, 'us-east-1', 'completed', undefined],
      [B, 'eu-west-1', 'failed', 'AccessDenied'],
      [B, 'us-east-1', 'failed', 'AccessDenied'],
      [C, 'eu-west-1', 'completed', undefined],
      [C, 'us-east-1', 'completed', undefined],
    ]);
    expect(summary.accountRegions[2]?.reason).toContain('sts:AssumeRole failed with AccessDenied');
  });

  it('keeps the counts an account-region reached before its job failed', async () => {
    const job: AccountRegionJob = async (target, record) => {
      record(recordOf('remediated', 'first'));
      record(recordOf('compliant', 'second'));
      if (target.region === 'us-east-1')
        throw new AwsCallError('ecr', 'DescribeRepositories', 'UnrecognizedClientException', false);
      return { scanned: 2, nextToken: undefined };
    };
    const summary = await runOverScope(explicitScope([A]), job, { maxParallel: 4, record: () => {} });
    expect(summary.accountRegions).toMatchObject([
      { region: 'eu-west-1', status: 'completed', scanned: 2 },
      {
        region: 'us-east-1',
        status: 'failed',
        errorCode: 'UnrecognizedClientException',
        scanned: 2,
        counts: { remediated: 1, compliant: 1 },
      },
    ]);
    expect(summary.totals).toMatchObject({ remediated: 2, compliant: 2 });
  });

  it('fails an account-region in which a repository failed, with that record’s code', async () => {
    const job: AccountRegionJob = async (target, record) => {
      if (target.accountId === B) record(recordOf('failed', 'x', { errorCode: 'ThrottlingException' }));
      else record(recordOf('compliant', 'x'));
      return { scanned: 1, nextToken: undefined };
    };
    const summary = await runOverScope(explicitScope([A, B], ['eu-west-1']), job, {
      maxParallel: 2,
      record: () => {},
    });
    expect(summary.result).toBe('failed');
    expect(summary.accountRegions).toMatchObject([
      { accountId: A, status: 'completed' },
      { accountId: B, status: 'failed', errorCode: 'ThrottlingException', counts: { failed: 1 } },
    ]);
  });

  it('lists skipped accounts in every region, with their reason, without failing the run', async () => {
    const scope = buildScope(
      parseScopeRequest({ organization: true, excludeAccounts: [C], regions: REGIONS }),
      [
        { accountId: A, name: 'prod', state: 'ACTIVE' },
        { accountId: B, name: 'old', state: 'SUSPENDED' },
        { accountId: C, name: 'lab', state: 'ACTIVE' },
      ],
    );
    const finished: string[] = [];
    const summary = await runOverScope(scope, compliantJob, {
      maxParallel: 2,
      record: () => {},
      onFinish: (s) => finished.push(`${s.accountId}/${s.region}:${s.status}`),
    });
    expect(summary.result).toBe('succeeded');
    expect(
      summary.accountRegions.map((s) => [s.accountId, s.accountName, s.region, s.status, s.skipReason]),
    ).toEqual([
      [A, 'prod', 'eu-west-1', 'completed', undefined],
      [A, 'prod', 'us-east-1', 'completed', undefined],
      [B, 'old', 'eu-west-1', 'skipped', 'suspended'],
      [B, 'old', 'us-east-1', 'skipped', 'suspended'],
      [C, 'lab', 'eu-west-1', 'skipped', 'excluded'],
      [C, 'lab', 'us-east-1', 'skipped', 'excluded'],
    ]);
    expect(summary.statusCounts).toEqual({ completed: 2, incomplete: 0, failed: 0, skipped: 4 });
    expect(finished).toHaveLength(6);
  });

  it('reports an account-region that stopped early as incomplete, with its token', async () => {
    const job: AccountRegionJob = async (target) => ({
      scanned: 5,
      nextToken: target.region === 'us-east-1' ? 'resume-here' : undefined,
    });
    const summary = await runOverScope(explicitScope([A]), job, { maxParallel: 1, record: () => {} });
    expect(summary.result).toBe('incomplete');
    expect(summary.accountRegions[1]).toMatchObject({ status: 'incomplete', nextToken: 'resume-here' });
    expect(summary.scanned).toBe(10);
  });

  it.each([0, -1, 1.5, Number.NaN])('rejects maxParallel %s, naming it', async (maxParallel) => {
    await expect(
      runOverScope(explicitScope([A]), compliantJob, { maxParallel, record: () => {} }),
    ).rejects.toThrow(new RangeError(`maxParallel must be an integer ≥ 1, got ${maxParallel}`));
  });

  it('times each account-region, failed ones included, with the clock it is given', async () => {
    let clock = 0;
    const job: AccountRegionJob = async (target, record) => {
      if (target.region === 'us-east-1') throw new Error('region not enabled');
      return compliantJob(target, record);
    };
    // Each account-region reads the clock when it starts and when it ends: 2,500 ms apart.
    const summary = await runOverScope(explicitScope([A]), job, {
      maxParallel: 1,
      record: () => {},
      now: () => (clock += 1_250),
    });
    expect(summary.accountRegions.map((s) => [s.region, s.status, s.seconds])).toEqual([
      ['eu-west-1', 'completed', 1.25],
      ['us-east-1', 'failed', 1.25],
    ]);
  });

  it('counts creation templates apart from repositories, and fails on a failed template, keeping its token', async () => {
    const job: AccountRegionJob = async (_target, record) => {
      record(recordOf('remediated', 'repo'));
      record(recordOf('remediated', '', { repositoryName: undefined, templatePrefix: 'ecr-public' }));
      record(
        recordOf('failed', '', {
          repositoryName: undefined,
          templatePrefix: 'ROOT',
          errorCode: 'AccessDeniedException',
        }),
      );
      return { scanned: 1, nextToken: 'resume-here' };
    };
    const summary = await runOverScope(explicitScope([A], ['eu-west-1']), job, {
      maxParallel: 1,
      record: () => {},
    });
    expect(summary.accountRegions).toEqual([
      expect.objectContaining({
        status: 'failed',
        errorCode: 'AccessDeniedException',
        reason: '0 repositories and 1 creation templates failed',
        nextToken: 'resume-here',
        scanned: 1,
        counts: expect.objectContaining({ remediated: 1, failed: 0 }),
        templateCounts: expect.objectContaining({ remediated: 1, failed: 1 }),
      }),
    ]);
    expect(summary.totals).toMatchObject({ remediated: 1, failed: 0 });
    expect(summary.templateTotals).toMatchObject({ remediated: 1, failed: 1 });
  });

  it('names the code of an account-region’s first failed record that has one', async () => {
    const job: AccountRegionJob = async (target, record) => {
      record(recordOf('gone', 'deleted', { errorCode: 'RepositoryNotFoundException' }));
      record(recordOf('failed', 'x', target.accountId === A ? { errorCode: 'ThrottlingException' } : {}));
      record(recordOf('failed', 'y', { errorCode: 'AccessDeniedException' }));
      return { scanned: 3, nextToken: undefined };
    };
    const summary = await runOverScope(explicitScope([A, B], ['eu-west-1']), job, {
      maxParallel: 1,
      record: () => {},
    });
    expect(summary.accountRegions.map((s) => [s.accountId, s.errorCode])).toEqual([
      [A, 'ThrottlingException'],
      [B, 'AccessDeniedException'],
    ]);
  });

  it('gives a failed account-region no error code or token when it has none', async () => {
    const job: AccountRegionJob = async (_target, record) => {
      record(recordOf('failed', 'x'));
      return { scanned: 1, nextToken: undefined };
    };
    const summary = await runOverScope(explicitScope([A], ['eu-west-1']), job, {
      maxParallel: 1,
      record: () => {},
    });
    const [only] = summary.accountRegions;
    expect(only?.status).toBe('failed');
    expect(Object.keys(only ?? {})).not.toContain('errorCode');
    expect(Object.keys(only ?? {})).not.toContain('nextToken');
  });

  it('sorts account-regions by account, then region, whatever order they finished in', async () => {
    // Later account-regions finish first.
    const job: AccountRegionJob = async (target, record) => {
      const rank = [A, B].indexOf(target.accountId) * 2 + REGIONS.indexOf(target.region);
      await new Promise((resolve) => setTimeout(resolve, 40 - rank * 10));
      return compliantJob(target, record);
    };
    const finished: string[] = [];
    const summary = await runOverScope(explicitScope([B, A]), job, {
      maxParallel: 4,
      record: () => {},
      onFinish: (s) => finished.push(`${s.accountId.slice(0, 1)}/${s.region}`),
    });
    expect(finished).toEqual(['2/us-east-1', '2/eu-west-1', '1/us-east-1', '1/eu-west-1']);
    expect(summary.accountRegions.map((s) => `${s.accountId.slice(0, 1)}/${s.region}`)).toEqual([
      '1/eu-west-1',
      '1/us-east-1',
      '2/eu-west-1',
      '2/us-east-1',
    ]);
  });

  it('lists every account-region exactly once and fails exactly when a scoped account fails', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.stringMatching(/^\d{12}$/), { minLength: 1, maxLength: 6 }),
        fc.array(fc.stringMatching(/^\d{12}$/), { maxLength: 2 }),
        fc.subarray(['eu-west-1', 'us-east-1', 'ap-south-1'], { minLength: 1 }),
        fc.integer({ min: 1, max: 5 }),
        fc.func(fc.boolean()),
        async (accounts, excluded, regions, maxParallel, fails) => {
          const scope = explicitScope([...accounts, ...excluded], regions, excluded);
          const failing = new Set(accounts.filter((id) => fails(id)));
          const job: AccountRegionJob = async (target, record) => {
            if (failing.has(target.accountId)) throw new Error('boom');
            return compliantJob(target, record);
          };
          const summary = await runOverScope(scope, job, { maxParallel, record: () => {} });
          const keys = summary.accountRegions.map((s) => `${s.accountId}/${s.region}`);
          const expected = [...new Set([...accounts, ...excluded])]
            .sort()
            .flatMap((id) => [...regions].sort().map((region) => `${id}/${region}`));
          expect(keys).toEqual(expected);
          const anyScopedFailure = scope.accounts.some((a) => failing.has(a.accountId));
          expect(summary.result).toBe(anyScopedFailure ? 'failed' : 'succeeded');
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('executionOrder', () => {
  it('starts region by region so parallel jobs land on different accounts', () => {
    const targets: ScopeTarget[] = explicitScope([A, B, C]).targets.slice();
    expect(executionOrder(targets).map((t) => `${t.accountId.slice(0, 1)}/${t.region}`)).toEqual([
      '1/eu-west-1',
      '2/eu-west-1',
      '3/eu-west-1',
      '1/us-east-1',
      '2/us-east-1',
      '3/us-east-1',
    ]);
  });
});

describe('sweepJob: the existing sweep in every account-region', () => {
  it('sweeps each account-region with its own adapter, fails the one that is denied, and closes every client', async () => {
    // Prepare: A and C each have one mutable repository per region; B's ECR denies access.
    const registries = new Map<string, ReturnType<typeof createMemoryEcr>>();
    const closed: string[] = [];
    const job = sweepJob(FULL, (target) => {
      const key = `${target.accountId}/${target.region}`;
      const memory = createMemoryEcr({ app: 'MUTABLE', base: 'IMMUTABLE' });
      registries.set(key, memory);
      const ecr =
        target.accountId === B
          ? {
              ...memory,
              listRepositoryPage: async () => {
                throw new AwsCallError('ecr', 'DescribeRepositories', 'AccessDeniedException', false);
              },
            }
          : memory;
      return {
        deps: {
          ecr,
          policy: POLICY,
          region: target.region,
          now: () => new Date('2026-11-30T03:00:00Z'),
          remainingMs: () => Number.POSITIVE_INFINITY,
          safetyMarginMs: 0,
          maxConcurrency: 4,
          sleep: async () => {},
        },
        close: () => closed.push(key),
      };
    });
    const records: ScopedAuditRecord[] = [];
    // Act
    const summary = await runOverScope(explicitScope([A, B, C]), job, {
      maxParallel: 3,
      record: (r) => records.push(r),
    });
    // Assess
    expect(summary.result).toBe('failed');
    expect(
      summary.accountRegions.map((s) => [
        s.accountId,
        s.region,
        s.status,
        s.errorCode ?? '-',
        s.counts.remediated,
      ]),
    ).toEqual([
      [A, 'eu-west-1', 'completed', '-', 1],
      [A, 'us-east-1', 'completed', '-', 1],
      [B, 'eu-west-1', 'failed', 'AccessDeniedException', 0],
      [B, 'us-east-1', 'failed', 'AccessDeniedException', 0],
      [C, 'eu-west-1', 'completed', '-', 1],
      [C, 'us-east-1', 'completed', '-', 1],
    ]);
    expect(registries.get(`${C}/us-east-1`)?.writes).toEqual(['app']);
    expect(
      records
        .filter((r) => r.outcome === 'remediated')
        .map((r) => `${r.accountId}/${r.region}`)
        .sort(),
    ).toEqual([`${A}/eu-west-1`, `${A}/us-east-1`, `${C}/eu-west-1`, `${C}/us-east-1`]);
    expect(closed).toHaveLength(6);
    expect(summary.totals).toMatchObject({ remediated: 4, compliant: 4, failed: 0 });
  });
});

describe('runOverScope with member credentials', () => {
  it('assumes each member role once for all its regions, never for its own account, and fails only a denied account', async () => {
    // Prepare: A is the caller's own account; C's member role does not trust the caller.
    const stsMock = mockClient(STSClient);
    stsMock.on(AssumeRoleCommand).callsFake((input: { RoleArn?: string }) => {
      if (input.RoleArn?.includes(`::${C}:`)) {
        throw Object.assign(new Error('not authorized to perform: sts:AssumeRole'), {
          name: 'AccessDenied',
          $fault: 'client',
          $metadata: { httpStatusCode: 403 },
        });
      }
      return {
        Credentials: {
          AccessKeyId: 'ASIA',
          SecretAccessKey: 's',
          SessionToken: 't',
          Expiration: new Date(Date.now() + 3_600_000),
        },
      };
    });
    const credentials = createMemberCredentials(new STSClient({ region: 'eu-west-1' }), {
      ownAccountId: A,
      region: 'eu-west-1',
      runId: 'test',
    });
    const usedProviders: string[] = [];
    const job: AccountRegionJob = async (target, record) => {
      const provider = credentials.providerFor(target.accountId);
      usedProviders.push(provider === undefined ? 'own' : ((await provider()).accountId ?? '?'));
      return compliantJob(target, record);
    };
    // Act
    const summary = await runOverScope(
      explicitScope([A, B, C, D], ['eu-west-1', 'us-east-1', 'ap-south-1']),
      job,
      {
        maxParallel: 5,
        prepareAccount: (accountId) => credentials.ensure(accountId),
        record: () => {},
      },
    );
    // Assess
    expect(
      stsMock
        .commandCalls(AssumeRoleCommand)
        .map((call) => call.args[0].input.RoleArn)
        .sort(),
    ).toEqual([
      `arn:aws:iam::${B}:role/EcrImmutabilityGuardMember`,
      `arn:aws:iam::${C}:role/EcrImmutabilityGuardMember`,
      `arn:aws:iam::${D}:role/EcrImmutabilityGuardMember`,
    ]);
    expect(usedProviders.filter((used) => used === 'own')).toHaveLength(3);
    expect(summary.statusCounts).toEqual({ completed: 9, incomplete: 0, failed: 3, skipped: 0 });
    expect(
      summary.accountRegions.filter((s) => s.status === 'failed').map((s) => [s.accountId, s.errorCode]),
    ).toEqual([
      [C, 'AccessDenied'],
      [C, 'AccessDenied'],
      [C, 'AccessDenied'],
    ]);
    stsMock.restore();
  });
});

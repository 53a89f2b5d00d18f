/**
 * The Security Hub adapter (lib/securityhub.ts) over an `aws-sdk-client-mock`: one paged GetFindings pass
 * per account-region with the control, record state, account and Region filters; BatchUpdateFindings 100
 * findings a call; both within their documented rates; unprocessed findings resent when transient; SDK
 * errors translated at the boundary.
 */
import {
  AccessDeniedException,
  type AwsSecurityFinding,
  BatchUpdateFindingsCommand,
  GetFindingsCommand,
  type GetFindingsCommandInput,
  SecurityHubClient,
  SecurityHubServiceException,
} from '@aws-sdk/client-securityhub';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AwsCallError } from '../../lib/errors.ts';
import type { FindingUpdate } from '../../lib/findings-sync.ts';
import { SECURITY_HUB_ACTIONS } from '../../lib/iam-actions.ts';
import { createSecurityHubAdapter, readControlFinding } from '../../lib/securityhub.ts';
import { fakeClock } from '../helpers/fake-clock.ts';

const hubMock = mockClient(SecurityHubClient);
const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const PRODUCT = `arn:aws:securityhub:${REGION}::product/aws/securityhub`;

function raw(name: string, overrides: Partial<AwsSecurityFinding> = {}): AwsSecurityFinding {
  return {
    SchemaVersion: '2018-10-08',
    Id: `finding/${name}`,
    ProductArn: PRODUCT,
    GeneratorId: 'security-control/ECR.2',
    AwsAccountId: ACCOUNT,
    Region: REGION,
    CreatedAt: '2026-06-01T00:00:00Z',
    UpdatedAt: '2026-06-01T00:00:00Z',
    Title: 'ECR.2',
    Description: 'ECR.2',
    Resources: [{ Type: 'AwsEcrRepository', Id: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${name}` }],
    Compliance: { Status: 'FAILED', SecurityControlId: 'ECR.2' },
    Workflow: { Status: 'NEW' },
    RecordState: 'ACTIVE',
    ...overrides,
  };
}

function update(count: number, overrides: Partial<FindingUpdate> = {}): FindingUpdate {
  return {
    action: 'suppress-exempt',
    findings: Array.from({ length: count }, (_, index) => ({ id: `finding/r${index}`, productArn: PRODUCT })),
    workflowStatus: 'SUPPRESSED',
    note: { text: 'Suppressed by ecr-immutability-guard', updatedBy: 'ecr-immutability-guard' },
    userDefinedFields: { 'ecr-immutability-guard': 'suppressed' },
    ...overrides,
  };
}

const adapterWith = (clock = fakeClock(), extra = {}) =>
  createSecurityHubAdapter(new SecurityHubClient({ region: REGION }), {
    ...clock,
    random: () => 0.5,
    ...extra,
  });

describe('the Security Hub adapter', () => {
  beforeEach(() => hubMock.reset());

  it('declares the IAM action of each operation', () => {
    expect(SECURITY_HUB_ACTIONS).toEqual({
      findControlFindings: ['securityhub:GetFindings'],
      updateFindings: ['securityhub:BatchUpdateFindings'],
    });
  });

  it('reads an account-region’s ACTIVE ECR.2 findings in one paged pass of 100 a page', async () => {
    // Prepare
    hubMock
      .on(GetFindingsCommand)
      .resolvesOnce({ Findings: [raw('a'), raw('b')], NextToken: 'p2' })
      .resolvesOnce({
        Findings: [
          raw('c', {
            Workflow: { Status: 'SUPPRESSED' },
            Note: { Text: 'n', UpdatedBy: 'u', UpdatedAt: 'x' },
            UserDefinedFields: { k: 'v' },
          }),
        ],
      });
    // Act
    const pass = await adapterWith().findControlFindings({ accountId: ACCOUNT, region: REGION });
    // Assess
    expect(pass).toMatchObject({ pages: 2, calls: 2, unreadable: 0, outside: 0 });
    expect(pass.findings.map((finding) => finding.resourceId.split('/').at(-1))).toEqual(['a', 'b', 'c']);
    expect(pass.findings[2]).toEqual({
      id: 'finding/c',
      productArn: PRODUCT,
      accountId: ACCOUNT,
      region: REGION,
      resourceId: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/c`,
      complianceStatus: 'FAILED',
      workflowStatus: 'SUPPRESSED',
      noteText: 'n',
      userDefinedFields: { k: 'v' },
    });
    const inputs = hubMock.commandCalls(GetFindingsCommand).map((call) => call.args[0].input);
    expect(inputs[0]).toEqual({
      Filters: {
        ComplianceSecurityControlId: [{ Value: 'ECR.2', Comparison: 'EQUALS' }],
        RecordState: [{ Value: 'ACTIVE', Comparison: 'EQUALS' }],
        AwsAccountId: [{ Value: ACCOUNT, Comparison: 'EQUALS' }],
        Region: [{ Value: REGION, Comparison: 'EQUALS' }],
      },
      MaxResults: 100,
      NextToken: undefined,
    } satisfies GetFindingsCommandInput);
    expect(inputs[1]?.NextToken).toBe('p2');
  });

  it('skips findings it cannot read and findings outside the filters, counting both', async () => {
    hubMock.on(GetFindingsCommand).resolves({
      Findings: [
        raw('a'),
        raw('no-resource', { Resources: [] }),
        raw('other-control', { Compliance: { Status: 'FAILED', SecurityControlId: 'ECR.1' } }),
        raw('archived', { RecordState: 'ARCHIVED' }),
        raw('other-account', { AwsAccountId: '999999999999' }),
        raw('other-region', { Region: 'us-east-1' }),
      ],
      NextToken: '',
    });
    const pass = await adapterWith().findControlFindings({ accountId: ACCOUNT, region: REGION });
    expect(pass).toMatchObject({ pages: 1, unreadable: 1, outside: 4 });
    expect(pass.findings.map((finding) => finding.id)).toEqual(['finding/a']);
  });

  it('reads only the findings of given repositories with a ResourceId filter, for the few of an event', async () => {
    const arn = (name: string) => `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${name}`;
    hubMock.on(GetFindingsCommand).resolves({ Findings: [raw('a'), raw('b')] });
    const pass = await adapterWith().findControlFindings({
      accountId: ACCOUNT,
      region: REGION,
      resourceIds: [arn('a')],
    });
    expect(pass).toMatchObject({ pages: 1, outside: 1 });
    expect(pass.findings.map((finding) => finding.resourceId)).toEqual([arn('a')]);
    expect(hubMock.commandCalls(GetFindingsCommand)[0]?.args[0].input.Filters?.ResourceId).toEqual([
      { Value: arn('a'), Comparison: 'EQUALS' },
    ]);
  });

  it.each([0, 21])(
    'refuses %i resource ids in one pass (GetFindings takes 1 to 20 values per filter)',
    async (count) => {
      const resourceIds = Array.from(
        { length: count },
        (_, index) => `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/r${index}`,
      );
      await expect(
        adapterWith().findControlFindings({ accountId: ACCOUNT, region: REGION, resourceIds }),
      ).rejects.toThrow(RangeError);
      expect(hubMock.calls()).toHaveLength(0);
    },
  );

  it('keeps GetFindings to 3 requests per second', async () => {
    for (let page = 1; page <= 4; page += 1) {
      hubMock
        .on(GetFindingsCommand, { NextToken: page === 1 ? undefined : `p${page}` })
        .resolves({ Findings: [], NextToken: page < 4 ? `p${page + 1}` : undefined });
    }
    const clock = fakeClock();
    const pass = await adapterWith(clock).findControlFindings({ accountId: ACCOUNT, region: REGION });
    expect(pass.pages).toBe(4);
    expect(clock.sleeps.map(Math.round)).toEqual([333, 333, 333]);
  });

  it('sends each update as one BatchUpdateFindings call per 100 findings, at 10 calls per second', async () => {
    hubMock.on(BatchUpdateFindingsCommand).callsFake((input: { FindingIdentifiers: unknown[] }) => ({
      ProcessedFindings: input.FindingIdentifiers,
      UnprocessedFindings: [],
    }));
    const clock = fakeClock();
    const result = await adapterWith(clock).updateFindings([
      update(150),
      update(1, { workflowStatus: undefined, action: 'note-remediated' }),
    ]);
    expect(result).toEqual({ processed: 151, unprocessed: [], batches: 3, calls: 3 });
    const inputs = hubMock.commandCalls(BatchUpdateFindingsCommand).map((call) => call.args[0].input);
    expect(inputs.map((input) => input.FindingIdentifiers?.length)).toEqual([100, 50, 1]);
    expect(inputs[0]).toMatchObject({
      Note: { Text: 'Suppressed by ecr-immutability-guard', UpdatedBy: 'ecr-immutability-guard' },
      UserDefinedFields: { 'ecr-immutability-guard': 'suppressed' },
      Workflow: { Status: 'SUPPRESSED' },
    });
    expect(inputs[0]?.FindingIdentifiers?.[0]).toEqual({ Id: 'finding/r0', ProductArn: PRODUCT });
    expect(inputs[2]).not.toHaveProperty('Workflow');
    expect(clock.sleeps).toEqual([100, 100]);
  });

  it('sends again the findings left unprocessed by a concurrent update, and returns the others', async () => {
    hubMock
      .on(BatchUpdateFindingsCommand)
      .resolvesOnce({
        ProcessedFindings: [{ Id: 'finding/r0', ProductArn: PRODUCT }],
        UnprocessedFindings: [
          {
            FindingIdentifier: { Id: 'finding/r1', ProductArn: PRODUCT },
            ErrorCode: 'ConcurrentUpdateError',
            ErrorMessage: 'Concurrent finding updates detected',
          },
          {
            FindingIdentifier: { Id: 'finding/r2', ProductArn: PRODUCT },
            ErrorCode: 'FindingNotFound',
            ErrorMessage: 'Finding Not Found',
          },
        ],
      })
      .resolvesOnce({
        ProcessedFindings: [{ Id: 'finding/r1', ProductArn: PRODUCT }],
        UnprocessedFindings: [],
      });
    const result = await adapterWith().updateFindings([update(3)]);
    expect(result).toEqual({
      processed: 2,
      unprocessed: [
        {
          id: 'finding/r2',
          productArn: PRODUCT,
          errorCode: 'FindingNotFound',
          errorMessage: 'Finding Not Found',
        },
      ],
      batches: 2,
      calls: 2,
    });
    expect(hubMock.commandCalls(BatchUpdateFindingsCommand)[1]?.args[0].input.FindingIdentifiers).toEqual([
      { Id: 'finding/r1', ProductArn: PRODUCT },
    ]);
  });

  it('retries 429 TooManyRequestsException with backoff, then gives up with a retryable AwsCallError', async () => {
    const throttled = new SecurityHubServiceException({
      name: 'TooManyRequestsException',
      $fault: 'client',
      $metadata: { httpStatusCode: 429 },
      message: 'Too Many Requests',
    });
    hubMock.on(GetFindingsCommand).rejects(throttled);
    const failure = adapterWith(fakeClock(), { retries: 2 }).findControlFindings({
      accountId: ACCOUNT,
      region: REGION,
    });
    await expect(failure).rejects.toMatchObject({
      name: 'AwsCallError',
      service: 'securityhub',
      operation: 'GetFindings',
      code: 'TooManyRequestsException',
      retryable: true,
    });
    expect(hubMock.commandCalls(GetFindingsCommand)).toHaveLength(3);
  });

  it('translates AccessDeniedException into an AwsCallError naming the call, without retrying', async () => {
    hubMock
      .on(BatchUpdateFindingsCommand)
      .rejects(new AccessDeniedException({ message: 'not authorized', $metadata: { httpStatusCode: 403 } }));
    const failure = adapterWith().updateFindings([update(1)]);
    await expect(failure).rejects.toBeInstanceOf(AwsCallError);
    await expect(failure).rejects.toMatchObject({
      code: 'AccessDeniedException',
      retryable: false,
      operation: 'BatchUpdateFindings',
    });
    expect(hubMock.commandCalls(BatchUpdateFindingsCommand)).toHaveLength(1);
  });

  it('makes no call for no updates', async () => {
    expect(await adapterWith().updateFindings([])).toEqual({
      processed: 0,
      unprocessed: [],
      batches: 0,
      calls: 0,
    });
    expect(hubMock.calls()).toHaveLength(0);
  });
});

describe('the Security Hub adapter, edges', () => {
  beforeEach(() => hubMock.reset());
  afterEach(() => vi.useRealTimers());
  const arn = (name: string) => `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${name}`;
  const concurrent = (id: string) => ({
    FindingIdentifier: { Id: id, ProductArn: PRODUCT },
    ErrorCode: 'ConcurrentUpdateError',
    ErrorMessage: 'Concurrent finding updates detected',
  });

  it('reads a finding without a record state as ACTIVE', async () => {
    hubMock.on(GetFindingsCommand).resolves({ Findings: [raw('a', { RecordState: undefined })] });
    const pass = await adapterWith().findControlFindings({ accountId: ACCOUNT, region: REGION });
    expect(pass).toMatchObject({ unreadable: 0, outside: 0 });
    expect(pass.findings.map((finding) => finding.id)).toEqual(['finding/a']);
  });

  it('reads the findings of 20 repositories in one call', async () => {
    const resourceIds = Array.from({ length: 20 }, (_, index) => arn(`r${index}`));
    hubMock.on(GetFindingsCommand).resolves({ Findings: [raw('r0')] });
    const pass = await adapterWith().findControlFindings({ accountId: ACCOUNT, region: REGION, resourceIds });
    expect(pass.findings).toHaveLength(1);
    expect(hubMock.commandCalls(GetFindingsCommand)[0]?.args[0].input.Filters?.ResourceId).toHaveLength(20);
  });

  it('names the limit and the count when it refuses resource ids', async () => {
    await expect(
      adapterWith().findControlFindings({ accountId: ACCOUNT, region: REGION, resourceIds: [] }),
    ).rejects.toThrow('resourceIds must name 1 to 20 resources, got 0');
  });

  it('spaces its calls on the real clock when given none', async () => {
    vi.useFakeTimers();
    hubMock
      .on(GetFindingsCommand)
      .resolvesOnce({ Findings: [], NextToken: 'p2' })
      .resolvesOnce({ Findings: [] });
    const pass = createSecurityHubAdapter(new SecurityHubClient({ region: REGION })).findControlFindings({
      accountId: ACCOUNT,
      region: REGION,
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(hubMock.commandCalls(GetFindingsCommand)).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(332);
    expect(hubMock.commandCalls(GetFindingsCommand)).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(2);
    expect(await pass).toMatchObject({ pages: 2, calls: 2 });
  });

  it('sends 200 findings in exactly 2 calls', async () => {
    hubMock.on(BatchUpdateFindingsCommand).callsFake((input: { FindingIdentifiers: unknown[] }) => ({
      ProcessedFindings: input.FindingIdentifiers,
    }));
    const result = await adapterWith().updateFindings([update(200)]);
    expect(result).toEqual({ processed: 200, unprocessed: [], batches: 2, calls: 2 });
  });

  it('counts nothing processed from an answer that lists no findings, and names what it was not told', async () => {
    hubMock
      .on(BatchUpdateFindingsCommand)
      .resolvesOnce({})
      .resolvesOnce({
        ProcessedFindings: [],
        UnprocessedFindings: [
          { FindingIdentifier: undefined, ErrorCode: undefined, ErrorMessage: undefined },
        ],
      });
    expect(await adapterWith().updateFindings([update(1), update(1)])).toEqual({
      processed: 0,
      unprocessed: [{ id: '', productArn: '', errorCode: 'Unknown', errorMessage: '' }],
      batches: 2,
      calls: 2,
    });
  });

  it.each([
    [undefined, 3],
    [0, 1],
    [1, 2],
  ])(
    'sends findings that stay unprocessed by a concurrent update again at most %s times (default 2): %i calls',
    async (unprocessedRetries, calls) => {
      hubMock
        .on(BatchUpdateFindingsCommand)
        .resolves({ ProcessedFindings: [], UnprocessedFindings: [concurrent('finding/r0')] });
      const result = await adapterWith(
        fakeClock(),
        unprocessedRetries === undefined ? {} : { unprocessedRetries },
      ).updateFindings([update(1)]);
      expect(result).toEqual({
        processed: 0,
        unprocessed: [
          {
            id: 'finding/r0',
            productArn: PRODUCT,
            errorCode: 'ConcurrentUpdateError',
            errorMessage: 'Concurrent finding updates detected',
          },
        ],
        batches: calls,
        calls,
      });
    },
  );

  it('sends again a finding left unprocessed by an internal failure', async () => {
    hubMock
      .on(BatchUpdateFindingsCommand)
      .resolvesOnce({
        UnprocessedFindings: [{ ...concurrent('finding/r0'), ErrorCode: 'InternalFailure' }],
      })
      .resolvesOnce({ ProcessedFindings: [{ Id: 'finding/r0', ProductArn: PRODUCT }] });
    expect(await adapterWith().updateFindings([update(1)])).toMatchObject({ processed: 1, unprocessed: [] });
  });
});

describe('readControlFinding', () => {
  it('reads a finding without Region, compliance, note or user-defined fields', () => {
    expect(
      readControlFinding(
        raw('a', { Region: undefined, Compliance: undefined, Note: undefined, UserDefinedFields: undefined }),
      ),
    ).toEqual({
      id: 'finding/a',
      productArn: PRODUCT,
      accountId: ACCOUNT,
      region: '',
      resourceId: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/a`,
      complianceStatus: undefined,
      workflowStatus: 'NEW',
      noteText: undefined,
      userDefinedFields: {},
    });
  });

  it.each([
    ['no Id', { Id: undefined }],
    ['no ProductArn', { ProductArn: '' }],
    ['no account', { AwsAccountId: undefined }],
    ['no resource', { Resources: undefined }],
  ])('refuses a finding with %s', (_name, overrides) => {
    expect(readControlFinding(raw('a', overrides))).toBeUndefined();
  });

  it('reads a finding without workflow as NEW', () => {
    expect(readControlFinding(raw('a', { Workflow: undefined }))?.workflowStatus).toBe('NEW');
  });
});

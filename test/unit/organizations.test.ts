import {
  AccessDeniedException,
  AWSOrganizationsNotInUseException,
  DescribeOrganizationCommand,
  ListAccountsCommand,
  ListAccountsForParentCommand,
  type ListAccountsForParentCommandInput,
  ListOrganizationalUnitsForParentCommand,
  type ListOrganizationalUnitsForParentCommandInput,
  OrganizationsClient,
  TooManyRequestsException,
} from '@aws-sdk/client-organizations';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AwsCallError } from '../../lib/errors.ts';
import { ORGANIZATIONS_ACTIONS, requiredOrganizationsActions } from '../../lib/iam-actions.ts';
import { createOrganizationsAdapter } from '../../lib/organizations.ts';

const orgMock = mockClient(OrganizationsClient);

const A = '111111111111';
const B = '222222222222';
const C = '333333333333';
const D = '444444444444';

function throttled() {
  return new TooManyRequestsException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } });
}

function accessDenied() {
  return new AccessDeniedException({
    message: 'You don’t have permissions to access this resource.',
    $metadata: { httpStatusCode: 400 },
  });
}

describe('createOrganizationsAdapter', () => {
  const sleeps: number[] = [];
  beforeEach(() => {
    orgMock.reset();
    sleeps.length = 0;
  });
  const adapter = () =>
    createOrganizationsAdapter(new OrganizationsClient({ region: 'us-east-1' }), {
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      random: () => 0.5,
    });

  describe('describeOrganization', () => {
    it('names the management account (MasterAccountId)', async () => {
      orgMock.on(DescribeOrganizationCommand).resolves({
        Organization: { Id: 'o-abcdef1234', MasterAccountId: A, FeatureSet: 'ALL' },
      });
      expect(await adapter().describeOrganization()).toEqual({ managementAccountId: A });
    });

    it('retries throttling, then answers', async () => {
      orgMock
        .on(DescribeOrganizationCommand)
        .rejectsOnce(throttled())
        .resolves({ Organization: { MasterAccountId: B } });
      expect(await adapter().describeOrganization()).toEqual({ managementAccountId: B });
      expect(sleeps).toHaveLength(1);
    });

    it.each([
      [
        'no organisation',
        new AWSOrganizationsNotInUseException({ message: 'no', $metadata: {} }),
        'AWSOrganizationsNotInUseException',
      ],
      ['access denied', accessDenied(), 'AccessDeniedException'],
    ])('translates %s into an AwsCallError with its code', async (_, error, code) => {
      orgMock.on(DescribeOrganizationCommand).rejects(error);
      await expect(adapter().describeOrganization()).rejects.toMatchObject({
        name: 'AwsCallError',
        operation: 'DescribeOrganization',
        code,
      });
    });

    it('refuses an answer without a management account id', async () => {
      orgMock.on(DescribeOrganizationCommand).resolves({ Organization: { Id: 'o-abcdef1234' } });
      await expect(adapter().describeOrganization()).rejects.toMatchObject({
        name: 'AwsCallError',
        service: 'organizations',
        operation: 'DescribeOrganization',
        code: 'NoManagementAccount',
        retryable: false,
      });
    });
  });

  describe('listAccounts', () => {
    it('reads every page, 20 accounts a page, with each account’s state', async () => {
      // Prepare
      orgMock
        .on(ListAccountsCommand)
        .resolvesOnce({ Accounts: [{ Id: A, Name: 'prod', State: 'ACTIVE' }], NextToken: 'page-2' })
        .resolvesOnce({ Accounts: [{ Id: B, Name: 'old', State: 'SUSPENDED', Status: 'SUSPENDED' }] });
      // Act
      const accounts = await adapter().listAccounts();
      // Assess
      expect(accounts).toEqual([
        { accountId: A, name: 'prod', state: 'ACTIVE' },
        { accountId: B, name: 'old', state: 'SUSPENDED' },
      ]);
      expect(orgMock).toHaveReceivedCommandTimes(ListAccountsCommand, 2);
      expect(orgMock.commandCalls(ListAccountsCommand).map((call) => call.args[0].input)).toEqual([
        { MaxResults: 20 },
        { NextToken: 'page-2', MaxResults: 20 },
      ]);
    });

    it('falls back to the older Status when State is not reported', async () => {
      orgMock.on(ListAccountsCommand).resolves({ Accounts: [{ Id: A, Status: 'PENDING_CLOSURE' }] });
      expect(await adapter().listAccounts()).toEqual([
        { accountId: A, name: undefined, state: 'PENDING_CLOSURE' },
      ]);
    });

    it('leaves out entries without a valid account id', async () => {
      orgMock
        .on(ListAccountsCommand)
        .resolves({ Accounts: [{ Name: 'no id' }, { Id: '12' }, { Id: A, State: 'ACTIVE' }] });
      expect((await adapter().listAccounts()).map((a) => a.accountId)).toEqual([A]);
    });

    it('retries a throttled page with backoff and does not read the earlier pages again', async () => {
      orgMock
        .on(ListAccountsCommand)
        .resolvesOnce({ Accounts: [{ Id: A, State: 'ACTIVE' }], NextToken: 'page-2' })
        .rejectsOnce(throttled())
        .rejectsOnce(throttled())
        .resolvesOnce({ Accounts: [{ Id: B, State: 'ACTIVE' }] });
      const accounts = await adapter().listAccounts();
      expect(accounts.map((a) => a.accountId)).toEqual([A, B]);
      expect(orgMock).toHaveReceivedCommandTimes(ListAccountsCommand, 4);
      expect(orgMock.commandCalls(ListAccountsCommand).map((call) => call.args[0].input.NextToken)).toEqual([
        undefined,
        'page-2',
        'page-2',
        'page-2',
      ]);
      // Full jitter: half of 500 ms, then half of 1000 ms.
      expect(sleeps).toEqual([250, 500]);
    });

    it('gives up on throttling after its retries with a retryable AwsCallError', async () => {
      orgMock.on(ListAccountsCommand).rejects(throttled());
      const error = await adapter()
        .listAccounts()
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(AwsCallError);
      expect(error).toMatchObject({
        service: 'organizations',
        operation: 'ListAccounts',
        code: 'TooManyRequestsException',
        retryable: true,
      });
      expect(orgMock).toHaveReceivedCommandTimes(ListAccountsCommand, 4);
    });

    it.each([
      ['AccessDeniedException', accessDenied()],
      [
        'AWSOrganizationsNotInUseException',
        new AWSOrganizationsNotInUseException({ message: 'not in an organization', $metadata: {} }),
      ],
    ])('translates %s at once, without retrying', async (code, sdkError) => {
      orgMock.on(ListAccountsCommand).rejects(sdkError);
      const error = await adapter()
        .listAccounts()
        .catch((caught: unknown) => caught);
      expect(error).toMatchObject({ name: 'AwsCallError', code, retryable: false });
      expect(String(error)).toContain(`organizations:ListAccounts failed with ${code}`);
      expect(orgMock).toHaveReceivedCommandTimes(ListAccountsCommand, 1);
    });

    it('retries a server fault (5xx)', async () => {
      orgMock
        .on(ListAccountsCommand)
        .rejectsOnce(
          Object.assign(new Error('boom'), {
            name: 'ServiceException',
            $fault: 'server',
            $metadata: { httpStatusCode: 500 },
          }),
        )
        .resolves({ Accounts: [{ Id: A, State: 'ACTIVE' }] });
      expect(await adapter().listAccounts()).toHaveLength(1);
    });
  });

  describe('listAccountsUnder', () => {
    /**
     * r-root ── A
     *   ├─ ou-prod (children paged) ── B
     *   │    └─ ou-prod-eu ── C
     *   └─ ou-sandbox ── D (accounts paged)
     */
    const accountsUnder: Record<string, string[][]> = {
      'r-root': [[A]],
      'ou-ab12-prod0000': [[B]],
      'ou-ab12-prodeu00': [[C]],
      'ou-ab12-sandbox0': [[], [D]],
    };
    const unitsUnder: Record<string, string[][]> = {
      'r-root': [['ou-ab12-prod0000'], ['ou-ab12-sandbox0']],
      'ou-ab12-prod0000': [['ou-ab12-prodeu00']],
    };
    const page = <T>(pages: T[][] | undefined, token: string | undefined) => {
      const index = token === undefined ? 0 : Number(token);
      const items = pages?.[index] ?? [];
      return { items, next: pages !== undefined && index + 1 < pages.length ? String(index + 1) : undefined };
    };

    beforeEach(() => {
      orgMock.on(ListAccountsForParentCommand).callsFake((input: ListAccountsForParentCommandInput) => {
        const { items, next } = page(accountsUnder[input.ParentId ?? ''], input.NextToken);
        return { Accounts: items.map((Id) => ({ Id, State: 'ACTIVE' })), NextToken: next };
      });
      orgMock
        .on(ListOrganizationalUnitsForParentCommand)
        .callsFake((input: ListOrganizationalUnitsForParentCommandInput) => {
          const { items, next } = page(unitsUnder[input.ParentId ?? ''], input.NextToken);
          return { OrganizationalUnits: items.map((Id) => ({ Id })), NextToken: next };
        });
    });

    it('walks every OU under the given root, every page of each', async () => {
      const accounts = await adapter().listAccountsUnder(['r-root']);
      expect(accounts.map((a) => a.accountId).sort()).toEqual([A, B, C, D]);
      const parents = orgMock
        .commandCalls(ListAccountsForParentCommand)
        .map((call) => call.args[0].input.ParentId);
      expect(parents).toEqual([
        'r-root',
        'ou-ab12-prod0000',
        'ou-ab12-sandbox0',
        'ou-ab12-sandbox0',
        'ou-ab12-prodeu00',
      ]);
      expect(orgMock).toHaveReceivedCommandWith(ListOrganizationalUnitsForParentCommand, {
        ParentId: 'r-root',
        NextToken: '1',
        MaxResults: 20,
      });
    });

    it('walks an OU given twice, or nested under another given one, once', async () => {
      const accounts = await adapter().listAccountsUnder([
        'ou-ab12-prodeu00',
        'ou-ab12-prod0000',
        'ou-ab12-prodeu00',
      ]);
      expect(accounts.map((a) => a.accountId).sort()).toEqual([B, C]);
      const parents = orgMock
        .commandCalls(ListAccountsForParentCommand)
        .map((call) => call.args[0].input.ParentId);
      expect(parents).toEqual(['ou-ab12-prodeu00', 'ou-ab12-prod0000']);
    });

    it('retries a throttled OU listing and still finds every account', async () => {
      orgMock
        .on(ListOrganizationalUnitsForParentCommand, { ParentId: 'ou-ab12-prod0000' })
        .rejectsOnce(throttled())
        .resolves({ OrganizationalUnits: [{ Id: 'ou-ab12-prodeu00' }] });
      const accounts = await adapter().listAccountsUnder(['r-root']);
      expect(accounts.map((a) => a.accountId).sort()).toEqual([A, B, C, D]);
      expect(sleeps).toHaveLength(1);
    });

    it('skips a child OU listed without an id', async () => {
      orgMock
        .on(ListOrganizationalUnitsForParentCommand, { ParentId: 'r-root' })
        .resolves({ OrganizationalUnits: [{ Name: 'no id' }, { Id: 'ou-ab12-sandbox0' }] });
      const accounts = await adapter().listAccountsUnder(['r-root']);
      expect(accounts.map((a) => a.accountId)).toEqual([A, D]);
      const parents = orgMock
        .commandCalls(ListAccountsForParentCommand)
        .map((call) => call.args[0].input.ParentId);
      expect(parents).toEqual(['r-root', 'ou-ab12-sandbox0', 'ou-ab12-sandbox0']);
    });

    it('keeps an account listed under two OUs (moved during the walk) once, as first listed', async () => {
      orgMock
        .on(ListAccountsForParentCommand, { ParentId: 'ou-ab12-prodeu00' })
        .resolves({ Accounts: [{ Id: B, Name: 'moved', State: 'SUSPENDED' }] });
      const accounts = await adapter().listAccountsUnder(['r-root']);
      expect(accounts.map((a) => a.accountId)).toEqual([A, B, D]);
      expect(accounts[1]).toEqual({ accountId: B, name: undefined, state: 'ACTIVE' });
    });

    it('translates a failed OU listing into an AwsCallError naming ListOrganizationalUnitsForParent', async () => {
      orgMock.on(ListOrganizationalUnitsForParentCommand).rejects(accessDenied());
      await expect(adapter().listAccountsUnder(['r-root'])).rejects.toMatchObject({
        service: 'organizations',
        operation: 'ListOrganizationalUnitsForParent',
        code: 'AccessDeniedException',
        retryable: false,
      });
    });

    it('translates an unknown parent into an AwsCallError naming the operation', async () => {
      orgMock.on(ListAccountsForParentCommand).rejects(
        Object.assign(new Error('We can’t find a root or OU with the ParentId that you specified.'), {
          name: 'ParentNotFoundException',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
        }),
      );
      await expect(adapter().listAccountsUnder(['ou-ab12-missing0'])).rejects.toMatchObject({
        operation: 'ListAccountsForParent',
        code: 'ParentNotFoundException',
        retryable: false,
      });
    });
  });
});

describe('requiredOrganizationsActions', () => {
  it.each([
    [{ organization: false, organizationalUnits: false }, []],
    [
      { organization: true, organizationalUnits: false },
      ['organizations:DescribeOrganization', 'organizations:ListAccounts'],
    ],
    [
      { organization: true, organizationalUnits: true },
      [
        'organizations:DescribeOrganization',
        'organizations:ListAccountsForParent',
        'organizations:ListOrganizationalUnitsForParent',
      ],
    ],
    [
      { organization: true, organizationalUnits: false, includeManagementAccount: true },
      ['organizations:ListAccounts'],
    ],
  ])('for %j is %j', (scope, actions) => {
    expect(requiredOrganizationsActions(scope)).toEqual(actions);
  });

  it('declares only read actions', () => {
    for (const action of Object.values(ORGANIZATIONS_ACTIONS).flat())
      expect(action).toMatch(/^organizations:(List|Describe)/);
  });
});

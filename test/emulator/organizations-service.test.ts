import {
  DescribeOrganizationCommand,
  ListAccountsCommand,
  ListAccountsForParentCommand,
  ListOrganizationalUnitsForParentCommand,
  ListRootsCommand,
  type OrganizationsClient,
  paginateListAccounts,
  paginateListAccountsForParent,
} from '@aws-sdk/client-organizations';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OrganizationSeed } from '../../emulator/index.ts';
import {
  type ClientCredentials,
  organizationsClient,
  startTestEmulator,
  type TestEmulator,
} from './helpers.ts';

const MANAGEMENT = '100000000000';
const DELEGATED = '100000000001';
const ROOT = 'r-ab12';
const PROD = 'ou-ab12-prod0001';
const key = (account: string): ClientCredentials => ({ accessKeyId: `key-${account}`, secretAccessKey: 'x' });
const memberId = (index: number): string => String(200_000_000_000 + index);

// 45 members: 30 in Prod, 15 at the root; every 10th suspended, member 7 pending closure.
const MEMBERS = Array.from({ length: 45 }, (_, index) => ({
  id: memberId(index),
  name: `member-${index}`,
  ...(index < 30 ? { ou: 'Prod' } : {}),
  ...(index % 10 === 9
    ? { status: 'SUSPENDED' as const }
    : index === 7
      ? { status: 'PENDING_CLOSURE' as const }
      : {}),
  accessKeyIds: [`key-${memberId(index)}`],
}));

const ORGANISATION: OrganizationSeed = {
  organization: {
    managementAccount: MANAGEMENT,
    id: 'o-abcdefgh12',
    rootId: ROOT,
    delegatedAdministrators: [DELEGATED],
  },
  organizationalUnits: [{ name: 'Prod', id: PROD }, { name: 'Prod-EU', parent: 'Prod' }, { name: 'Sandbox' }],
  accounts: [
    { id: MANAGEMENT, name: 'management', accessKeyIds: [`key-${MANAGEMENT}`] },
    { id: DELEGATED, name: 'security', ou: 'Sandbox', accessKeyIds: [`key-${DELEGATED}`] },
    ...MEMBERS,
  ],
};

let emulator: TestEmulator;
let management: OrganizationsClient;

beforeAll(async () => {
  emulator = await startTestEmulator({ organization: ORGANISATION });
  management = organizationsClient(emulator.url, key(MANAGEMENT));
});
afterAll(async () => {
  management.destroy();
  await emulator.stop();
});

async function failure(
  promise: Promise<unknown>,
): Promise<{ name: string; message: string; reason?: unknown }> {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof Error)) throw error;
    return { name: error.name, message: error.message, reason: Reflect.get(error, 'Reason') };
  }
  throw new Error('expected the call to fail');
}

describe('ListAccounts', () => {
  it.each([1, 7, 20])('returns every account exactly once in pages of at most %i', async (pageSize) => {
    const ids: string[] = [];
    let pages = 0;
    for await (const page of paginateListAccounts({ client: management, pageSize }, {})) {
      pages += 1;
      expect(page.Accounts?.length ?? 0).toBeLessThanOrEqual(pageSize);
      for (const account of page.Accounts ?? []) ids.push(account.Id ?? '');
    }
    expect(ids).toHaveLength(47);
    expect(new Set(ids).size).toBe(47);
    expect(pages).toBe(Math.ceil(47 / pageSize));
  });

  it('pages 20 at a time when MaxResults is not given', async () => {
    const first = await management.send(new ListAccountsCommand({}));
    expect(first.Accounts).toHaveLength(20);
    expect(first.NextToken).toEqual(expect.any(String));
  });

  it('describes each account with Id, Arn, Name, Email, Status, State and how it joined', async () => {
    const { Accounts = [] } = await management.send(new ListAccountsCommand({ MaxResults: 20 }));
    expect(Accounts[0]).toEqual({
      Id: MANAGEMENT,
      Arn: `arn:aws:organizations::${MANAGEMENT}:account/o-abcdefgh12/${MANAGEMENT}`,
      Name: 'management',
      Email: `aws+${MANAGEMENT}@example.com`,
      Status: 'ACTIVE',
      State: 'ACTIVE',
      JoinedMethod: 'INVITED',
      JoinedTimestamp: expect.any(Date),
    });
    expect(Accounts.find((account) => account.Id === memberId(9))).toMatchObject({
      Status: 'SUSPENDED',
      State: 'SUSPENDED',
    });
    expect(Accounts.find((account) => account.Id === memberId(7))).toMatchObject({
      State: 'PENDING_CLOSURE',
    });
  });

  it('answers a delegated administrator as it answers the management account', async () => {
    const delegated = organizationsClient(emulator.url, key(DELEGATED));
    expect((await delegated.send(new ListAccountsCommand({ MaxResults: 5 }))).Accounts).toHaveLength(5);
    delegated.destroy();
  });

  it.each([
    ['MaxResults 0', { MaxResults: 0 }, 'MIN_VALUE_EXCEEDED'],
    ['MaxResults 21', { MaxResults: 21 }, 'MAX_VALUE_EXCEEDED'],
    ['a forged NextToken', { NextToken: 'forged' }, 'INVALID_NEXT_TOKEN'],
  ])('refuses %s with InvalidInputException and its Reason', async (_, input, reason) => {
    expect(await failure(management.send(new ListAccountsCommand(input)))).toMatchObject({
      name: 'InvalidInputException',
      reason,
    });
  });

  it('refuses a NextToken from another listing', async () => {
    const { NextToken } = await management.send(
      new ListAccountsForParentCommand({ ParentId: PROD, MaxResults: 1 }),
    );
    expect(await failure(management.send(new ListAccountsCommand({ NextToken })))).toMatchObject({
      name: 'InvalidInputException',
      reason: 'INVALID_NEXT_TOKEN',
    });
  });

  it('refuses a member account with AccessDeniedException', async () => {
    const member = organizationsClient(emulator.url, key(memberId(0)));
    expect(await failure(member.send(new ListAccountsCommand({})))).toMatchObject({
      name: 'AccessDeniedException',
    });
    member.destroy();
  });

  it('refuses an account outside any organisation with AWSOrganizationsNotInUseException', async () => {
    const outsider = organizationsClient(emulator.url);
    expect(await failure(outsider.send(new ListAccountsCommand({})))).toMatchObject({
      name: 'AWSOrganizationsNotInUseException',
    });
    outsider.destroy();
  });
});

describe('DescribeOrganization', () => {
  it('names the management account, answered to the management account itself', async () => {
    const { Organization } = await management.send(new DescribeOrganizationCommand({}));
    expect(Organization).toEqual({
      Id: 'o-abcdefgh12',
      Arn: `arn:aws:organizations::${MANAGEMENT}:organization/o-abcdefgh12`,
      FeatureSet: 'ALL',
      MasterAccountArn: `arn:aws:organizations::${MANAGEMENT}:account/o-abcdefgh12/${MANAGEMENT}`,
      MasterAccountId: MANAGEMENT,
      MasterAccountEmail: `aws+${MANAGEMENT}@example.com`,
      AvailablePolicyTypes: [{ Type: 'SERVICE_CONTROL_POLICY', Status: 'ENABLED' }],
    });
  });

  it.each([
    ['a delegated administrator', DELEGATED],
    ['a member account, which may not list the organisation', memberId(0)],
  ])('answers %s the same', async (_, account) => {
    const client = organizationsClient(emulator.url, key(account));
    try {
      const { Organization } = await client.send(new DescribeOrganizationCommand({}));
      expect(Organization?.MasterAccountId).toBe(MANAGEMENT);
    } finally {
      client.destroy();
    }
  });

  it('refuses an account outside any organisation with AWSOrganizationsNotInUseException', async () => {
    const outsider = organizationsClient(emulator.url);
    expect(await failure(outsider.send(new DescribeOrganizationCommand({})))).toMatchObject({
      name: 'AWSOrganizationsNotInUseException',
    });
    outsider.destroy();
  });
});

describe('ListAccountsForParent', () => {
  it('lists the accounts directly under an OU, paged', async () => {
    const ids: string[] = [];
    for await (const page of paginateListAccountsForParent(
      { client: management, pageSize: 8 },
      { ParentId: PROD },
    )) {
      for (const account of page.Accounts ?? []) ids.push(account.Id ?? '');
    }
    expect(ids).toEqual(MEMBERS.slice(0, 30).map((member) => member.id));
  });

  it('lists the accounts directly under the root', async () => {
    const { Accounts = [] } = await management.send(new ListAccountsForParentCommand({ ParentId: ROOT }));
    expect(Accounts.map((account) => account.Id)).toEqual([
      MANAGEMENT,
      ...MEMBERS.slice(30, 45).map((member) => member.id),
    ]);
  });

  it.each([
    ['an unknown OU', 'ou-ab12-missing01', 'ParentNotFoundException', undefined],
    ['an unknown root', 'r-zz99', 'ParentNotFoundException', undefined],
    ['a ParentId that is not a root or OU id', 'prod', 'InvalidInputException', 'INVALID_PATTERN'],
  ])('refuses %s with %s', async (_, ParentId, name, reason) => {
    const error = await failure(management.send(new ListAccountsForParentCommand({ ParentId })));
    expect(error.name).toBe(name);
    expect(error.reason).toBe(reason);
  });
});

describe('ListRoots and ListOrganizationalUnitsForParent', () => {
  it('lists the one root', async () => {
    expect((await management.send(new ListRootsCommand({}))).Roots).toEqual([
      {
        Id: ROOT,
        Arn: `arn:aws:organizations::${MANAGEMENT}:root/o-abcdefgh12/${ROOT}`,
        Name: 'Root',
        PolicyTypes: [],
      },
    ]);
  });

  it('lists the OUs directly under a parent, so a walk reaches nested ones', async () => {
    const underRoot = await management.send(new ListOrganizationalUnitsForParentCommand({ ParentId: ROOT }));
    expect(underRoot.OrganizationalUnits?.map((unit) => unit.Name)).toEqual(['Prod', 'Sandbox']);
    const underProd = await management.send(new ListOrganizationalUnitsForParentCommand({ ParentId: PROD }));
    expect(underProd.OrganizationalUnits).toEqual([
      {
        Id: expect.stringMatching(/^ou-ab12-[a-z0-9]{8,32}$/),
        Arn: expect.stringMatching(
          new RegExp(`^arn:aws:organizations::${MANAGEMENT}:ou/o-abcdefgh12/ou-ab12-`),
        ),
        Name: 'Prod-EU',
      },
    ]);
  });

  it('pages OUs with MaxResults', async () => {
    const first = await management.send(
      new ListOrganizationalUnitsForParentCommand({ ParentId: ROOT, MaxResults: 1 }),
    );
    expect(first.OrganizationalUnits?.map((unit) => unit.Name)).toEqual(['Prod']);
    const second = await management.send(
      new ListOrganizationalUnitsForParentCommand({
        ParentId: ROOT,
        MaxResults: 1,
        NextToken: first.NextToken,
      }),
    );
    expect(second.OrganizationalUnits?.map((unit) => unit.Name)).toEqual(['Sandbox']);
    expect(second.NextToken).toBeUndefined();
  });
});

describe('the organisation seed', () => {
  it.each([
    [
      'an account id that is not 12 digits',
      { accounts: [{ id: '12' }] },
      "accounts[0].id '12' is not a 12-digit account ID",
    ],
    [
      'an unknown status',
      { accounts: [{ id: MANAGEMENT, status: 'GONE' }] },
      "accounts[0].status 'GONE' is not one of",
    ],
    [
      'an OU that does not exist',
      { accounts: [{ id: MANAGEMENT, ou: 'Nope' }] },
      "accounts[0].ou 'Nope' names no organizational unit",
    ],
    [
      'a management account that is not listed',
      { organization: { managementAccount: MANAGEMENT } },
      'is not in accounts',
    ],
    [
      'a role with a bad principal',
      { roles: [{ account: MANAGEMENT, name: 'R', trustedPrincipals: ['*'] }] },
      'roles[0].trustedPrincipals[0]',
    ],
    ['an unknown setting', { acounts: [] }, 'acounts is not a setting'],
  ])('refuses %s, naming what was written', async (_, seed, message) => {
    await expect(emulator.admin.organization(seed as OrganizationSeed)).rejects.toThrow(message);
  });

  it('seeds registries per account and region along with the organisation', async () => {
    const other = await startTestEmulator();
    try {
      const result = await other.admin.organization({
        ...ORGANISATION,
        registries: [
          { account: memberId(0), region: 'eu-west-1', generate: { count: 3 } },
          { region: 'us-west-2', repositories: [{ name: 'platform' }] },
        ],
      });
      expect(result).toMatchObject({ accounts: 47, organizationalUnits: 3, roles: 0 });
      expect(result.registries.map(({ account, region, total }) => ({ account, region, total }))).toEqual([
        { account: memberId(0), region: 'eu-west-1', total: 3 },
        { account: MANAGEMENT, region: 'us-west-2', total: 1 },
      ]);
    } finally {
      await other.stop();
    }
  });
});

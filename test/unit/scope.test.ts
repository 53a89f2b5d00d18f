import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../lib/errors.ts';
import {
  buildScope,
  MANAGEMENT_ACCOUNT_DETAIL,
  type OrganizationAccount,
  type OrganizationLister,
  parseScopeRequest,
  resolveScope,
  type ScopeRequest,
} from '../../lib/scope.ts';

const A = '111111111111';
const B = '222222222222';
const C = '333333333333';
const D = '444444444444';
const E = '555555555555';

function account(accountId: string, state: string | undefined, name = `acct-${accountId.slice(0, 3)}`) {
  return { accountId, name, state } satisfies OrganizationAccount;
}

/** The management account of the test organisations: not one of the listed accounts unless a test says so. */
const MANAGEMENT = '999999999990';

/** An organisation as a table: every account, which accounts sit directly under which parent, its management account. */
function organization(
  accounts: OrganizationAccount[],
  under: Record<string, string[]> = {},
  managementAccountId = MANAGEMENT,
) {
  const calls: string[] = [];
  const lister: OrganizationLister = {
    async describeOrganization() {
      calls.push('describeOrganization');
      return { managementAccountId };
    },
    async listAccounts() {
      calls.push('listAccounts');
      return accounts;
    },
    async listAccountsUnder(parentIds) {
      calls.push(`listAccountsUnder ${parentIds.join(',')}`);
      return parentIds.flatMap((id) => accounts.filter((a) => under[id]?.includes(a.accountId)));
    },
  };
  return { lister, calls };
}

function expectInvalid(input: unknown, ...fragments: string[]) {
  try {
    parseScopeRequest(input);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidInputError);
    const issues = error instanceof InvalidInputError ? error.issues.join('\n') : '';
    for (const fragment of fragments) expect(issues).toContain(fragment);
    return;
  }
  expect.unreachable(`accepted ${JSON.stringify(input)}`);
}

describe('parseScopeRequest', () => {
  it('sorts and de-duplicates accounts, exclusions and regions', () => {
    const request = parseScopeRequest({
      accounts: [B, A, B],
      excludeAccounts: [C, C],
      regions: ['us-east-1', 'eu-west-1', 'us-east-1'],
    });
    expect(request).toEqual({
      organization: false,
      accountIds: [A, B],
      parentIds: undefined,
      excludedAccountIds: [C],
      includeManagementAccount: false,
      regions: ['eu-west-1', 'us-east-1'],
    });
  });

  it('reads an organisation request without exclusions as excluding none', () => {
    expect(parseScopeRequest({ organization: true, regions: ['eu-west-1'] })).toEqual({
      organization: true,
      accountIds: undefined,
      parentIds: undefined,
      excludedAccountIds: [],
      includeManagementAccount: false,
      regions: ['eu-west-1'],
    });
  });

  it.each([
    ['ou-ab12-abcdefgh', true],
    ['ou-0123456789abcdef0123456789abcdef-0123456789abcdef0123456789abcdef', true],
    ['r-ab12', true],
    ['r-0123456789abcdef0123456789abcdef', true],
    ['ou-ab1-abcdefgh', false],
    ['ou-ab12-abcdefg', false],
    ['OU-AB12-ABCDEFGH', false],
    ['r-ab1', false],
    ['r-0123456789abcdef0123456789abcdef0', false],
    ['123456789012', false],
  ])('accepts %s as an organizational unit or root: %s', (id, valid) => {
    const input = { organization: true, organizationalUnits: [id], regions: ['eu-west-1'] };
    if (valid) expect(parseScopeRequest(input).parentIds).toEqual([id]);
    else expectInvalid(input, `organizationalUnits.0: must be an organizational unit id`, JSON.stringify(id));
  });

  it.each([
    [
      { accounts: ['12345678901'], regions: ['eu-west-1'] },
      'accounts.0: must be a 12-digit account id, got "12345678901"',
    ],
    [{ accounts: ['1234567890123'], regions: ['eu-west-1'] }, 'accounts.0: must be a 12-digit account id'],
    [
      { accounts: [A], excludeAccounts: ['abc'], regions: ['eu-west-1'] },
      'excludeAccounts.0: must be a 12-digit',
    ],
    [
      { accounts: [A], regions: ['Europe'] },
      'regions.0: must be an AWS region such as eu-west-1, got "Europe"',
    ],
    [{ accounts: [A], regions: [] }, 'regions: must name at least one region'],
    [{ accounts: [], regions: ['eu-west-1'] }, 'accounts: must not be empty'],
    [{ regions: ['eu-west-1'] }, 'accounts: required unless organization is true'],
    [
      { organizationalUnits: ['r-ab12'], accounts: [A], regions: ['eu-west-1'] },
      'organizationalUnits: only valid',
    ],
    [{ accounts: [A], regions: ['eu-west-1'], acounts: [B] }, 'acounts'],
    [
      { accounts: [A], includeManagementAccount: true, regions: ['eu-west-1'] },
      'includeManagementAccount: only valid with organization: true',
    ],
  ])('rejects %j naming the field: %s', (input, message) => {
    expectInvalid(input, message);
  });

  it.each(['eu-west-1', 'us-gov-west-1', 'cn-northwest-1', 'us-isob-east-1', 'eu-isoe-west-1'])(
    'accepts the region %s',
    (region) => {
      expect(parseScopeRequest({ accounts: [A], regions: [region] }).regions).toEqual([region]);
    },
  );
});

describe('buildScope with explicit accounts', () => {
  it('covers every account in every region, account by account', () => {
    const scope = buildScope(parseScopeRequest({ accounts: [B, A], regions: ['us-east-1', 'eu-west-1'] }));
    expect(scope.targets).toEqual([
      { accountId: A, region: 'eu-west-1' },
      { accountId: A, region: 'us-east-1' },
      { accountId: B, region: 'eu-west-1' },
      { accountId: B, region: 'us-east-1' },
    ]);
    expect(scope.skipped).toEqual([]);
  });

  it('lists an excluded account as skipped with the reason excluded', () => {
    const scope = buildScope(
      parseScopeRequest({ accounts: [A, B], excludeAccounts: [B], regions: ['eu-west-1'] }),
    );
    expect(scope.accounts.map((a) => a.accountId)).toEqual([A]);
    expect(scope.skipped).toEqual([
      { accountId: B, name: undefined, reason: 'excluded', detail: 'excluded by configuration' },
    ]);
  });

  it('does not list an excluded account that was never in scope', () => {
    const scope = buildScope(
      parseScopeRequest({ accounts: [A], excludeAccounts: [C], regions: ['eu-west-1'] }),
    );
    expect(scope.skipped).toEqual([]);
  });

  it('never asks the organisation', async () => {
    const { lister, calls } = organization([]);
    await resolveScope(parseScopeRequest({ accounts: [A], regions: ['eu-west-1'] }), lister);
    expect(calls).toEqual([]);
  });
});

describe('resolveScope over the organisation', () => {
  const accounts = [
    account(A, 'ACTIVE', 'prod'),
    account(B, 'SUSPENDED', 'old'),
    account(C, 'PENDING_CLOSURE', 'closing'),
    account(D, 'CLOSED', 'gone'),
    account(E, undefined, 'mystery'),
  ];

  it('acts on ACTIVE accounts and lists every other one as skipped with its state', async () => {
    const { lister, calls } = organization(accounts);
    const scope = await resolveScope(
      parseScopeRequest({ organization: true, regions: ['eu-west-1'] }),
      lister,
    );
    expect(calls).toEqual(['listAccounts', 'describeOrganization']);
    expect(scope.accounts).toEqual([{ accountId: A, name: 'prod' }]);
    expect(scope.skipped).toEqual([
      { accountId: B, name: 'old', reason: 'suspended', detail: 'account state is SUSPENDED' },
      {
        accountId: C,
        name: 'closing',
        reason: 'pending-closure',
        detail: 'account state is PENDING_CLOSURE',
      },
      { accountId: D, name: 'gone', reason: 'closed', detail: 'account state is CLOSED' },
      { accountId: E, name: 'mystery', reason: 'unknown-state', detail: 'account state is not reported' },
    ]);
  });

  it.each([
    ['PENDING_ACTIVATION', 'pending-activation'],
    ['SOMETHING_NEW', 'unknown-state'],
  ])('skips an account in state %s as %s', async (state, reason) => {
    const { lister } = organization([account(A, state)]);
    const scope = await resolveScope(
      parseScopeRequest({ organization: true, regions: ['eu-west-1'] }),
      lister,
    );
    expect(scope.targets).toEqual([]);
    expect(scope.skipped).toMatchObject([{ accountId: A, reason }]);
  });

  it('walks the given OUs, merging an account listed twice', async () => {
    const { lister, calls } = organization(
      [account(A, 'ACTIVE'), account(B, 'ACTIVE'), account(C, 'ACTIVE')],
      {
        'ou-ab12-aaaaaaaa': [A, B],
        'ou-ab12-bbbbbbbb': [B],
      },
    );
    const scope = await resolveScope(
      parseScopeRequest({
        organization: true,
        organizationalUnits: ['ou-ab12-bbbbbbbb', 'ou-ab12-aaaaaaaa'],
        regions: ['eu-west-1'],
      }),
      lister,
    );
    expect(calls).toEqual(['listAccountsUnder ou-ab12-aaaaaaaa,ou-ab12-bbbbbbbb', 'describeOrganization']);
    expect(scope.targets).toEqual([
      { accountId: A, region: 'eu-west-1' },
      { accountId: B, region: 'eu-west-1' },
    ]);
  });

  it('excludes accounts, whatever their state, with the reason excluded', async () => {
    const { lister } = organization(accounts);
    const scope = await resolveScope(
      parseScopeRequest({ organization: true, excludeAccounts: [A, B], regions: ['eu-west-1'] }),
      lister,
    );
    expect(scope.targets).toEqual([]);
    expect(scope.skipped.filter((s) => s.reason === 'excluded').map((s) => s.accountId)).toEqual([A, B]);
  });

  it('restricts the organisation to named accounts, naming the ones it does not have', async () => {
    const { lister } = organization(accounts);
    const scope = await resolveScope(
      parseScopeRequest({ organization: true, accounts: [A, B, '999999999999'], regions: ['eu-west-1'] }),
      lister,
    );
    expect(scope.accounts.map((a) => a.accountId)).toEqual([A]);
    expect(scope.skipped).toMatchObject([
      { accountId: B, reason: 'suspended' },
      {
        accountId: '999999999999',
        reason: 'not-in-organization',
        detail: 'not an account of the organization',
      },
    ]);
  });
});

describe('the management account', () => {
  const accounts = [account(A, 'ACTIVE', 'management'), account(B, 'ACTIVE', 'payments')];
  const request = (more: Record<string, unknown> = {}) =>
    parseScopeRequest({ organization: true, regions: ['eu-west-1'], ...more });

  it('is skipped with the reason that it has no member role by design, never acted on', async () => {
    const { lister, calls } = organization(accounts, {}, A);
    const scope = await resolveScope(request(), lister, { callerAccountId: C });
    expect(calls).toEqual(['listAccounts', 'describeOrganization']);
    expect(scope.targets).toEqual([{ accountId: B, region: 'eu-west-1' }]);
    expect(scope.skipped).toEqual([
      { accountId: A, name: 'management', reason: 'management-account', detail: MANAGEMENT_ACCOUNT_DETAIL },
    ]);
    expect(MANAGEMENT_ACCOUNT_DETAIL).toContain('service-managed StackSets deploy no member role there');
    expect(MANAGEMENT_ACCOUNT_DETAIL).toContain('--include-management-account');
  });

  it('is skipped when the caller is unknown', async () => {
    const { lister } = organization(accounts, {}, A);
    expect((await resolveScope(request(), lister)).skipped).toMatchObject([
      { accountId: A, reason: 'management-account' },
    ]);
  });

  it('is swept when asked for, without asking the organisation who it is', async () => {
    const { lister, calls } = organization(accounts, {}, A);
    const scope = await resolveScope(request({ includeManagementAccount: true }), lister, {
      callerAccountId: C,
    });
    expect(calls).toEqual(['listAccounts']);
    expect(scope.accounts.map((a) => a.accountId)).toEqual([A, B]);
    expect(scope.skipped).toEqual([]);
  });

  it('is swept when it is the caller itself, which needs no member role', async () => {
    const { lister } = organization(accounts, {}, A);
    const scope = await resolveScope(request(), lister, { callerAccountId: A });
    expect(scope.accounts.map((a) => a.accountId)).toEqual([A, B]);
  });

  it('keeps the operator’s exclusion and a non-ACTIVE state as the reason', () => {
    const excluded = buildScope(request({ excludeAccounts: [A] }), accounts, { managementAccountId: A });
    expect(excluded.skipped).toMatchObject([{ accountId: A, reason: 'excluded' }]);
    const suspended = buildScope(request(), [account(A, 'SUSPENDED')], { managementAccountId: A });
    expect(suspended.skipped).toMatchObject([{ accountId: A, reason: 'suspended' }]);
  });
});

describe('buildScope and resolveScope, exactly', () => {
  const request = (more: Partial<ScopeRequest> = {}): ScopeRequest => ({
    organization: true,
    accountIds: undefined,
    parentIds: undefined,
    excludedAccountIds: [],
    includeManagementAccount: true,
    regions: ['eu-west-1'],
    ...more,
  });

  it('is empty for a request outside organisation mode that names no accounts', () => {
    expect(buildScope(request({ organization: false }))).toEqual({
      accounts: [],
      skipped: [],
      regions: ['eu-west-1'],
      targets: [],
    });
  });

  it('keeps the first listing of an account the organisation lists twice', () => {
    const scope = buildScope(request(), [account(A, 'ACTIVE', 'first'), account(A, 'SUSPENDED', 'second')]);
    expect(scope.accounts).toEqual([{ accountId: A, name: 'first' }]);
    expect(scope.skipped).toEqual([]);
  });

  it('sorts the accounts by id, whatever order the organisation lists them in', () => {
    const scope = buildScope(request(), [
      account(C, 'ACTIVE', 'c'),
      account(A, 'ACTIVE', 'a'),
      account(D, 'SUSPENDED', 'd'),
      account(B, 'CLOSED', 'b'),
    ]);
    expect(scope.accounts).toEqual([
      { accountId: A, name: 'a' },
      { accountId: C, name: 'c' },
    ]);
    expect(scope.skipped.map((skip) => skip.accountId)).toEqual([B, D]);
    expect(scope.targets).toEqual([
      { accountId: A, region: 'eu-west-1' },
      { accountId: C, region: 'eu-west-1' },
    ]);
  });

  it.each([
    [undefined, 'not an account of the organization'],
    [['ou-ab12-aaaaaaaa'], 'not an account of the given organizational units'],
  ])('with organizational units %j names a requested account it was not given as %s', (parentIds, detail) => {
    expect(buildScope(request({ accountIds: [B], parentIds }), [account(A, 'ACTIVE')]).skipped).toEqual([
      { accountId: B, name: undefined, reason: 'not-in-organization', detail },
    ]);
  });

  it('refuses organisation mode without an organisation lister', async () => {
    await expect(resolveScope(request(), undefined)).rejects.toThrow(
      new TypeError('organisation mode needs an organisation lister'),
    );
  });
});

describe('buildScope properties', () => {
  const accountId = fc.stringMatching(/^\d{12}$/);
  const region = fc.constantFrom('eu-west-1', 'eu-central-1', 'us-east-1', 'us-west-2', 'ap-south-1');
  const state = fc.constantFrom('ACTIVE', 'ACTIVE', 'SUSPENDED', 'PENDING_CLOSURE', 'CLOSED', undefined);

  it('explicit: targets are exactly (accounts − excluded) × regions, and every account is acted on or skipped', () => {
    fc.assert(
      fc.property(
        fc.array(accountId, { minLength: 1, maxLength: 8 }),
        fc.array(accountId, { maxLength: 4 }),
        fc.array(region, { minLength: 1, maxLength: 5 }),
        (accounts, excluded, regions) => {
          const scope = buildScope(
            parseScopeRequest({
              accounts: [...accounts, ...excluded.slice(0, 1)],
              excludeAccounts: excluded,
              regions,
            }),
          );
          const named = new Set([...accounts, ...excluded.slice(0, 1)]);
          const expected = [...named]
            .filter((id) => !excluded.includes(id))
            .sort()
            .flatMap((id) => [...new Set(regions)].sort().map((r) => ({ accountId: id, region: r })));
          expect(scope.targets).toEqual(expected);
          const seen = [...scope.accounts.map((a) => a.accountId), ...scope.skipped.map((s) => s.accountId)];
          expect(seen.sort()).toEqual([...named].sort());
        },
      ),
    );
  });

  it('organisation: no account is lost or doubled, and only ACTIVE, non-excluded ones are acted on', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ accountId, state }), { maxLength: 10 }),
        fc.array(accountId, { maxLength: 3 }),
        fc.array(region, { minLength: 1, maxLength: 3 }),
        (listed, excluded, regions) => {
          const all = [...listed, ...listed.slice(0, 2)].map((a) => ({ ...a, name: undefined }));
          const request: ScopeRequest = parseScopeRequest({
            organization: true,
            excludeAccounts: [...excluded, ...listed.slice(0, 1).map((a) => a.accountId)],
            regions,
          });
          const scope = buildScope(request, all);
          const ids = [...scope.accounts.map((a) => a.accountId), ...scope.skipped.map((s) => s.accountId)];
          expect(ids.sort()).toEqual([...new Set(listed.map((a) => a.accountId))].sort());
          const firstState = new Map<string, string | undefined>();
          for (const a of listed) if (!firstState.has(a.accountId)) firstState.set(a.accountId, a.state);
          for (const { accountId: id } of scope.accounts) {
            expect(firstState.get(id)).toBe('ACTIVE');
            expect(request.excludedAccountIds).not.toContain(id);
          }
          expect(scope.targets).toHaveLength(scope.accounts.length * new Set(regions).size);
          expect(new Set(scope.targets.map((t) => `${t.accountId}/${t.region}`)).size).toBe(
            scope.targets.length,
          );
        },
      ),
    );
  });
});

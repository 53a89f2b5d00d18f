/**
 * Where the guardrail acts on an event (lib/event-routing.ts): in its own account and Region, through a
 * member account's role in organisation mode, or not at all, with the reason.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type OrganizationSettings, routeEvent } from '../../lib/event-routing.ts';

const A = '111111111111';
const B = '222222222222';
const C = '333333333333';
const D = '444444444444';
const E = '555555555555';

describe('routeEvent', () => {
  const home = { accountId: A, region: 'eu-west-1' };
  const off: OrganizationSettings = { enabled: false, excludedAccountIds: [] };
  const on: OrganizationSettings = { enabled: true, excludedAccountIds: [C] };

  it.each([
    ['its own account and region, organisation mode off', A, 'eu-west-1', off, 'act-here'],
    [
      'its own account and region, even when excluded',
      A,
      'eu-west-1',
      { ...on, excludedAccountIds: [A] },
      'act-here',
    ],
    [
      'its own account and region, outside the allowed regions',
      A,
      'eu-west-1',
      { ...on, allowedRegions: ['us-east-1'] },
      'act-here',
    ],
    ['another account, organisation mode off', B, 'eu-west-1', off, 'ignored'],
    ['its own account in another region, organisation mode off', A, 'us-east-1', off, 'ignored'],
    ['its own account in another region, organisation mode on', A, 'us-east-1', on, 'act-here'],
    ['a member account', B, 'us-east-1', on, 'act-via-member-role'],
    ['an excluded member account', C, 'eu-west-1', on, 'ignored'],
    [
      'a member account outside the allowed accounts',
      B,
      'eu-west-1',
      { ...on, allowedAccountIds: [D] },
      'ignored',
    ],
    [
      'a member account among the allowed accounts',
      D,
      'eu-west-1',
      { ...on, allowedAccountIds: [D] },
      'act-via-member-role',
    ],
    [
      'a member account outside the allowed regions',
      B,
      'ap-south-1',
      { ...on, allowedRegions: ['us-east-1'] },
      'ignored',
    ],
    [
      'a member account in its own region, outside the allowed regions',
      B,
      'eu-west-1',
      { ...on, allowedRegions: ['us-east-1'] },
      'act-via-member-role',
    ],
    ['a malformed account', 'not-an-account', 'eu-west-1', on, 'ignored'],
  ] as const)('for %s: %s', (_case, accountId, region, settings, kind) => {
    expect(routeEvent({ accountId, region }, home, settings).kind).toBe(kind);
  });

  it.each([
    [B, 'eu-west-1', off, 'organization-mode-off'],
    [C, 'eu-west-1', on, 'account-excluded'],
    [B, 'eu-west-1', { ...on, allowedAccountIds: [D] }, 'account-not-allowed'],
    [B, 'ap-south-1', { ...on, allowedRegions: ['us-east-1'] }, 'region-not-allowed'],
    ['12', 'eu-west-1', on, 'invalid-account'],
  ] as const)('ignores %s in %s with the reason given', (accountId, region, settings, reason) => {
    const route = routeEvent({ accountId, region }, home, settings);
    expect(route).toMatchObject({ kind: 'ignored', reason });
    if (route.kind === 'ignored') expect(route.detail).toContain(accountId);
  });

  it('never routes an excluded or disallowed account to its member role', () => {
    // Accounts drawn from a small pool that the exclusion and allow lists are drawn from too, so that
    // an event from an excluded or a not-allowed member account is a common case, not a 1-in-10^12 one.
    const pool = [home.accountId, B, C, D, E];
    const accountIdArb = fc.oneof(
      { weight: 4, arbitrary: fc.constantFrom(...pool) },
      { weight: 1, arbitrary: fc.stringMatching(/^\d{12}$/) },
    );
    let outOfScopeMembers = 0;
    fc.assert(
      fc.property(
        accountIdArb,
        fc.constantFrom('eu-west-1', 'us-east-1'),
        fc.boolean(),
        fc.subarray(pool),
        fc.option(fc.subarray(pool), { nil: undefined }),
        (accountId, region, enabled, excludedAccountIds, allowedAccountIds) => {
          const route = routeEvent({ accountId, region }, home, {
            enabled,
            excludedAccountIds,
            allowedAccountIds,
          });
          const excluded = excludedAccountIds.includes(accountId);
          const disallowed = allowedAccountIds !== undefined && !allowedAccountIds.includes(accountId);
          if (excluded || disallowed) expect(route.kind).not.toBe('act-via-member-role');
          if (enabled && accountId !== home.accountId && (excluded || disallowed)) {
            outOfScopeMembers += 1;
            expect(route).toMatchObject({
              kind: 'ignored',
              reason: excluded ? 'account-excluded' : 'account-not-allowed',
            });
          }
          if (route.kind === 'act-via-member-role') {
            expect({ enabled, fromHomeAccount: accountId === home.accountId }).toEqual({
              enabled: true,
              fromHomeAccount: false,
            });
          }
        },
      ),
      { numRuns: 200 },
    );
    // About a quarter of the runs are the case this property is about: organisation mode on, an event
    // from a member account that is excluded or outside the allowed accounts.
    expect(outOfScopeMembers).toBeGreaterThan(20);
  });
});

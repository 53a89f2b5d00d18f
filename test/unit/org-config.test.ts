/** The organisation settings as the scope and the guardrail's routing read them (lib/org-config.ts). */
import { describe, expect, it } from 'vitest';
import type { OrganizationConfig } from '../../lib/config.ts';
import { isMultiAccount, routingSettingsOf, scopeRequestOf } from '../../lib/org-config.ts';
import { testConfig } from '../helpers/runtime.ts';

const OWN = '111111111111';
const A = '222222222222';
const B = '333333333333';
const C = '444444444444';

const organization = (overrides: Partial<OrganizationConfig> = {}): OrganizationConfig => ({
  ...testConfig().organization,
  ...overrides,
});

describe('isMultiAccount', () => {
  it.each([
    { enabled: false, accounts: [], multi: false },
    { enabled: false, accounts: [A], multi: true },
    { enabled: true, accounts: [], multi: true },
    { enabled: true, accounts: [A], multi: true },
  ])('is $multi with organisation mode $enabled and accounts $accounts', ({ enabled, accounts, multi }) => {
    expect(isMultiAccount(organization({ enabled, accounts }))).toBe(multi);
  });
});

describe('scopeRequestOf', () => {
  it('is the caller’s own account alone when nothing else is configured', () => {
    expect(scopeRequestOf(organization(), ['eu-west-1'], OWN)).toEqual({
      organization: false,
      accountIds: [OWN],
      parentIds: undefined,
      excludedAccountIds: [],
      includeManagementAccount: false,
      regions: ['eu-west-1'],
    });
  });

  it('refuses a request without any account when the caller’s own is not given', () => {
    expect(() => scopeRequestOf(organization(), ['eu-west-1'])).toThrow(
      'accounts: required unless organization is true',
    );
  });

  it('is the explicit accounts, not the caller’s own, when a list is configured', () => {
    expect(scopeRequestOf(organization({ accounts: [B, A] }), ['eu-west-1'], OWN)).toMatchObject({
      organization: false,
      accountIds: [A, B],
    });
  });

  it('is the organisation’s accounts under the configured OUs, without the excluded ones', () => {
    const request = scopeRequestOf(
      organization({
        enabled: true,
        organizationalUnits: ['ou-ab12-sandbox0', 'r-ab12'],
        excludedAccounts: [C],
        includeManagementAccount: true,
      }),
      ['eu-west-1'],
      OWN,
    );
    expect(request).toEqual({
      organization: true,
      accountIds: undefined,
      parentIds: ['ou-ab12-sandbox0', 'r-ab12'],
      excludedAccountIds: [C],
      includeManagementAccount: true,
      regions: ['eu-west-1'],
    });
  });

  it('refuses OUs without organisation mode, naming them', () => {
    expect(() =>
      scopeRequestOf(organization({ organizationalUnits: ['ou-ab12-sandbox0'] }), ['eu-west-1'], OWN),
    ).toThrow('organizationalUnits: only valid with organization: true');
  });

  it('sweeps the configured scope regions rather than the caller’s', () => {
    expect(
      scopeRequestOf(organization({ regions: ['us-east-1', 'eu-central-1'] }), ['eu-west-1'], OWN).regions,
    ).toEqual(['eu-central-1', 'us-east-1']);
  });
});

describe('routingSettingsOf', () => {
  it('allows every account and region when no list is configured', () => {
    expect(routingSettingsOf(organization({ enabled: true, excludedAccounts: [C] }))).toEqual({
      enabled: true,
      excludedAccountIds: [C],
      allowedAccountIds: undefined,
      allowedRegions: undefined,
    });
  });

  it('allows only the configured accounts and regions when lists are given', () => {
    expect(routingSettingsOf(organization({ accounts: [A], regions: ['eu-west-1'] }))).toEqual({
      enabled: false,
      excludedAccountIds: [],
      allowedAccountIds: [A],
      allowedRegions: ['eu-west-1'],
    });
  });
});

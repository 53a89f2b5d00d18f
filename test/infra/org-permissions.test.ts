/**
 * Organisation mode in IAM: both roles grow by exactly `sts:AssumeRole` on the member role in any account
 * of the partition and the Organizations reads the scope uses; nothing without organisation mode.
 */
import { describe, expect, it } from 'vitest';
import { allowedPairs, environmentOf, findResource, synthesize } from './helpers.ts';

const MEMBER_ROLES = 'arn:<AWS::Partition>:iam::*:role/EcrImmutabilityGuardMember';

function orgPairs(template: ReturnType<typeof synthesize>['template'], prefix: string): string[] {
  const [role] = findResource(template, 'AWS::IAM::Role', prefix);
  return allowedPairs(template, role).filter((pair) => /^(sts|organizations):/.test(pair));
}

describe('IAM and environment of organisation mode', () => {
  it.each(['GuardGuardrailRole', 'GuardSweepRole'])(
    'grants %s no STS or Organizations action by default',
    (role) => {
      const { template } = synthesize();
      expect(orgPairs(template, role)).toEqual([]);
      expect(environmentOf(template, 'GuardSweep')).not.toHaveProperty('ORGANIZATION_MODE');
    },
  );

  it.each(['GuardGuardrailRole', 'GuardSweepRole'])(
    'grants %s AssumeRole on the member role, ListAccounts and DescribeOrganization in organisation mode',
    (role) => {
      const { template } = synthesize({ organization: true, scopeRegions: ['eu-west-1', 'us-east-1'] });
      expect(orgPairs(template, role)).toEqual(
        [
          'organizations:DescribeOrganization on *',
          'organizations:ListAccounts on *',
          `sts:AssumeRole on ${MEMBER_ROLES}`,
        ].sort(),
      );
    },
  );

  it('needs no DescribeOrganization when the management account is included anyway, and says so to the functions', () => {
    const { template } = synthesize({ organization: true, includeManagementAccount: true });
    expect(orgPairs(template, 'GuardSweepRole')).toEqual(
      ['organizations:ListAccounts on *', `sts:AssumeRole on ${MEMBER_ROLES}`].sort(),
    );
    expect(environmentOf(template, 'GuardSweep')).toMatchObject({ INCLUDE_MANAGEMENT_ACCOUNT: 'true' });
  });

  it('refuses includeManagementAccount without organisation mode at synthesis, naming the prop', () => {
    expect(() => synthesize({ includeManagementAccount: true })).toThrow(
      'includeManagementAccount: needs organization to be on',
    );
  });

  it('grants the OU walk instead of ListAccounts when OUs are given, on the configured role name', () => {
    const { template } = synthesize({
      organization: true,
      organizationalUnits: ['ou-ab12-cdef3456'],
      memberRoleName: 'GuardMember',
    });
    expect(orgPairs(template, 'GuardSweepRole')).toEqual([
      'organizations:DescribeOrganization on *',
      'organizations:ListAccountsForParent on *',
      'organizations:ListOrganizationalUnitsForParent on *',
      'sts:AssumeRole on arn:<AWS::Partition>:iam::*:role/GuardMember',
    ]);
    expect(environmentOf(template, 'GuardSweep')).toMatchObject({
      ORGANIZATION_MODE: 'true',
      MEMBER_ROLE_NAME: 'GuardMember',
      ORGANIZATIONAL_UNITS: 'ou-ab12-cdef3456',
    });
  });

  it('grants AssumeRole but no Organizations action for an explicit account list', () => {
    const { template } = synthesize({ scopeAccounts: ['222222222222'] });
    expect(orgPairs(template, 'GuardSweepRole')).toEqual([`sts:AssumeRole on ${MEMBER_ROLES}`]);
    expect(environmentOf(template, 'GuardGuardrail')).toMatchObject({ SCOPE_ACCOUNTS: '222222222222' });
  });

  it('refuses OUs without organisation mode at synthesis, naming the prop', () => {
    expect(() => synthesize({ organizationalUnits: ['ou-ab12-cdef3456'] })).toThrow(
      'organizationalUnits: needs organization to be on',
    );
  });
});

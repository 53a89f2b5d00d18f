/**
 * What organisation mode adds to the functions' roles: `sts:AssumeRole` on the member role in any account of
 * the partition (STS_ACTIONS of lib/credentials.ts) and the Organizations read calls the scope uses
 * (`requiredOrganizationsActions` of lib/organizations.ts; they support no resource-level permissions,
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsorganizations.html). Nothing
 * without organisation mode or an account list.
 */
import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { requiredOrganizationsActions, STS_ACTIONS } from '../lib/iam-actions.ts';
import type { SettingValues } from '../lib/settings.ts';
import { reachesMembers } from './function-environment.ts';
import type { GuardFunction } from './functions.ts';
import { acknowledgedPolicy, NAG_WILDCARD_RESOURCE, wildcardFinding } from './nag.ts';

/**
 * What one function of a deployment reaches: by default both the member role and the Organizations
 * reads (the single-account construct's functions list the scope themselves). The organisation's
 * central construct (infra/org-guard.ts) splits them: the guardrail and the sweep only assume the
 * member role, the scope function only reads Organizations.
 */
export interface OrganizationAccessOptions {
  /** `sts:AssumeRole` on the member role. @default true */
  readonly assumeMemberRole?: boolean;
  /** The Organizations reads of the scope (`requiredOrganizationsActions`). @default true */
  readonly listOrganization?: boolean;
  /**
   * Only member roles owned by an account of this organisation: `aws:ResourceOrgID` on the AssumeRole
   * statement. For `sts:AssumeRole` the resource is the role, so the key carries the organisation of the
   * role's account (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-resourceorgid).
   * May be a token (a CloudFormation parameter). @default no condition
   */
  readonly resourceOrganizationId?: string;
}

/** `sts:AssumeRole` on `arn:<partition>:iam::*:role/<name>` and the Organizations reads; none when off. */
export function organizationPolicyStatements(
  values: SettingValues,
  options: OrganizationAccessOptions = {},
): iam.PolicyStatement[] {
  if (!reachesMembers(values)) return [];
  const statements: iam.PolicyStatement[] = [];
  if (options.assumeMemberRole !== false) {
    statements.push(
      new iam.PolicyStatement({
        sid: 'AssumeMemberRole',
        actions: [...STS_ACTIONS.assumeMemberRole],
        resources: [`arn:${Aws.PARTITION}:iam::*:role/${values.memberRoleName}`],
        ...(options.resourceOrganizationId === undefined
          ? {}
          : { conditions: { StringEquals: { 'aws:ResourceOrgID': options.resourceOrganizationId } } }),
      }),
    );
  }
  const organizations =
    options.listOrganization === false
      ? []
      : requiredOrganizationsActions({
          organization: values.organization,
          organizationalUnits: values.organizationalUnits.length > 0,
          includeManagementAccount: values.includeManagementAccount,
        });
  if (organizations.length > 0) {
    statements.push(
      new iam.PolicyStatement({ sid: 'OrganizationAccounts', actions: organizations, resources: ['*'] }),
    );
  }
  return statements;
}

/**
 * Grants one function the organisation access (`sts:AssumeRole` on the member role name in any account,
 * the Organizations read calls of the scope) as a policy of its own whose cdk-nag acknowledgements
 * name exactly these resources.
 */
export function grantOrganizationAccess(
  scope: Construct,
  id: string,
  target: GuardFunction,
  values: SettingValues,
  options: OrganizationAccessOptions = {},
): void {
  const statements = organizationPolicyStatements(values, options);
  if (statements.length === 0) return;
  const listsOrganization = statements.some((statement) => statement.sid === 'OrganizationAccounts');
  const assumesRole = statements.some((statement) => statement.sid === 'AssumeMemberRole');
  acknowledgedPolicy(scope, `${id}OrganizationPolicy`, {
    role: target.role,
    statements,
    findings: [
      ...(assumesRole ? [wildcardFinding(`arn:<AWS::Partition>:iam::*:role/${values.memberRoleName}`)] : []),
      ...(listsOrganization ? [NAG_WILDCARD_RESOURCE] : []),
    ],
    reason:
      'The member role has one name in every member account, which is only known at run time (the scope is resolved from AWS Organizations), so AssumeRole names the role in any account; the member role trusts only these functions. The Organizations list calls have no resource type in the IAM service authorization reference, so they can only be granted on *.',
    dependent: target.fn.node.defaultChild,
  });
}

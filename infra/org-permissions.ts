/**
 * What organisation mode adds to both functions: `sts:AssumeRole` on the member role in any account of the
 * partition (STS_ACTIONS of lib/credentials.ts), the Organizations read calls the scope uses
 * (`requiredOrganizationsActions` of lib/organizations.ts; they support no resource-level permissions,
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsorganizations.html), and the
 * environment the functions read (lib/settings.ts). Nothing without organisation mode or an account list.
 */
import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { requiredOrganizationsActions, STS_ACTIONS } from '../lib/iam-actions.ts';
import { envName, envText, type SettingKey, type SettingValues } from '../lib/settings.ts';
import { acknowledgedPolicy, type GuardFunction, NAG_WILDCARD_RESOURCE } from './functions.ts';

/** The organisation props of {@link import('./ecr-immutability-guard.ts').EcrImmutabilityGuard} (rows of lib/settings.ts). */
export interface GuardOrganizationProps {
  /** Organisation mode: the sweep covers the organisation's ACTIVE accounts, the guardrail acts on member events in scope. @default false */
  readonly organization?: boolean;
  /** The role assumed in member accounts. @default 'EcrImmutabilityGuardMember' */
  readonly memberRoleName?: string;
  /** External id the member roles' trust policy requires. */
  readonly memberExternalId?: string;
  /** With organisation mode: only accounts under these OUs or roots. */
  readonly organizationalUnits?: readonly string[];
  /** Explicit accounts (without organisation mode) or a restriction of the organisation's. */
  readonly scopeAccounts?: readonly string[];
  /** Accounts never acted on. */
  readonly excludedAccounts?: readonly string[];
  /** With organisation mode: sweep the management account too (its member role deployed by hand). @default false */
  readonly includeManagementAccount?: boolean;
  /** Regions of the organisation sweep and of member events accepted. @default the stack's region */
  readonly scopeRegions?: readonly string[];
  /** Account-regions swept at once. @default 4 */
  readonly accountRegionParallelism?: number;
}

const ORGANIZATION_KEYS = [
  'organization',
  'memberRoleName',
  'memberExternalId',
  'organizationalUnits',
  'scopeAccounts',
  'excludedAccounts',
  'includeManagementAccount',
  'scopeRegions',
  'accountRegionParallelism',
] as const satisfies readonly SettingKey[];

const reachesMembers = (values: SettingValues) => values.organization || values.scopeAccounts.length > 0;

/** The functions' organisation environment; empty unless organisation mode or an account list is on. */
export function organizationEnvironment(values: SettingValues): Record<string, string> {
  if (!reachesMembers(values)) return {};
  const entries = ORGANIZATION_KEYS.flatMap((key) => {
    const text = envText(values[key]);
    return text === undefined ? [] : [[envName(key), text] as const];
  });
  return Object.fromEntries(entries);
}

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
 * name exactly these resources, and sets the function's organisation environment.
 */
export function grantOrganizationAccess(
  scope: Construct,
  id: string,
  target: GuardFunction,
  values: SettingValues,
  options: OrganizationAccessOptions = {},
): void {
  for (const [name, value] of Object.entries(organizationEnvironment(values)))
    target.fn.addEnvironment(name, value);
  const statements = organizationPolicyStatements(values, options);
  if (statements.length === 0) return;
  const listsOrganization = statements.some((statement) => statement.sid === 'OrganizationAccounts');
  const assumesRole = statements.some((statement) => statement.sid === 'AssumeMemberRole');
  acknowledgedPolicy(scope, `${id}OrganizationPolicy`, {
    role: target.role,
    statements,
    findings: [
      ...(assumesRole
        ? [`AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::*:role/${values.memberRoleName}]`]
        : []),
      ...(listsOrganization ? [NAG_WILDCARD_RESOURCE] : []),
    ],
    reason:
      'The member role has one name in every member account, which is only known at run time (the scope is resolved from AWS Organizations), so AssumeRole names the role in any account; the member role trusts only these functions. The Organizations list calls have no resource type in the IAM service authorization reference, so they can only be granted on *.',
    dependent: target.fn.node.defaultChild,
  });
}

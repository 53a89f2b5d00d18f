/**
 * The IAM actions of every AWS call the guard makes, one table per adapter: infra/ grants exactly these and
 * tests hold the two equal (docs/architecture.md, "Least privilege"). This module imports nothing, so infra/
 * and the construct library read the tables without loading an adapter or the AWS SDK. Each adapter checks
 * its table against its methods with {@link ActionTable}: a method cannot ship without its actions, nor an
 * entry outlive its method.
 */

/**
 * The shape of an adapter's table: an entry for every method of `Adapter`, and no entry without a method.
 * An adapter module states `ECR_ACTIONS satisfies ActionTable<EcrAdapter, typeof ECR_ACTIONS>`.
 */
export type ActionTable<Adapter, Table> = { readonly [Method in keyof Adapter]-?: readonly string[] } & {
  readonly [Entry in Exclude<keyof Table, keyof Adapter>]: never;
};

/** lib/ecr.ts, per `EcrAdapter` method. */
export const ECR_ACTIONS = {
  describeRepository: ['ecr:DescribeRepositories'],
  listRepositoryPage: ['ecr:DescribeRepositories'],
  describeRepositoriesByName: ['ecr:DescribeRepositories'],
  setMutability: ['ecr:PutImageTagMutability'],
  listTags: ['ecr:ListTagsForResource'],
  listCreationTemplatePage: ['ecr:DescribeRepositoryCreationTemplates'],
  setTemplateMutability: ['ecr:UpdateRepositoryCreationTemplate'],
  // Only `ecr-guard plan --stage-exemptions` tags; no deployed function does.
  tagRepository: ['ecr:TagResource'],
  // Only `ecr-guard plan` lists images (untagged ones, for repositories it would call safe).
  listUntaggedImages: ['ecr:DescribeImages'],
} as const satisfies Record<string, readonly `ecr:${string}`[]>;

/** The features that change which ECR actions a deployment uses. */
export interface EcrFeatures {
  readonly tagExemptions: boolean;
  readonly creationTemplates: boolean;
}

type EcrMethod = keyof typeof ECR_ACTIONS;

/** Adapter methods every deployment calls; the others depend on {@link EcrFeatures}. */
// Stryker disable next-line ArrayDeclaration: static (built at import), which Stryker 10 activates after the module loaded and reports surviving whatever the tests do (stryker-js 6144, 6209); `requiredEcrActions lists exactly the actions each feature set calls` (test/unit/ecr.test.ts) fails on it emptied.
const ALWAYS_USED: readonly EcrMethod[] = [
  'describeRepository',
  'listRepositoryPage',
  'describeRepositoriesByName',
  'setMutability',
];

/** The exact set of ECR IAM actions a deployment with these features calls, sorted. */
export function requiredEcrActions(features: EcrFeatures): string[] {
  const methods: EcrMethod[] = [...ALWAYS_USED];
  if (features.tagExemptions) methods.push('listTags');
  if (features.creationTemplates) methods.push('listCreationTemplatePage', 'setTemplateMutability');
  return [...new Set(methods.flatMap((method) => ECR_ACTIONS[method]))].sort();
}

/** lib/organizations.ts, per `OrganizationLister` method. */
export const ORGANIZATIONS_ACTIONS = {
  listAccounts: ['organizations:ListAccounts'],
  listAccountsUnder: [
    'organizations:ListAccountsForParent',
    'organizations:ListOrganizationalUnitsForParent',
  ],
  describeOrganization: ['organizations:DescribeOrganization'],
} as const satisfies Record<string, readonly `organizations:${string}`[]>;

/**
 * The Organizations actions a deployment calls: none without organisation mode; the listing of its scope,
 * and `DescribeOrganization` (the management account) unless the management account is included anyway; sorted.
 */
export function requiredOrganizationsActions(scope: {
  readonly organization: boolean;
  readonly organizationalUnits: boolean;
  readonly includeManagementAccount?: boolean;
}): string[] {
  if (!scope.organization) return [];
  const listing = scope.organizationalUnits
    ? ORGANIZATIONS_ACTIONS.listAccountsUnder
    : ORGANIZATIONS_ACTIONS.listAccounts;
  const describe = scope.includeManagementAccount === true ? [] : ORGANIZATIONS_ACTIONS.describeOrganization;
  return [...listing, ...describe].sort();
}

/**
 * lib/credentials.ts: `sts:AssumeRole`, granted on the member role's ARN pattern only. The member role itself
 * is granted the ECR actions ({@link requiredEcrActions}).
 */
export const STS_ACTIONS = {
  assumeMemberRole: ['sts:AssumeRole'],
} as const;

/** lib/cloudtrail.ts, per `CloudTrailAdapter` method. */
export const CLOUDTRAIL_ACTIONS = {
  lookupPushes: ['cloudtrail:LookupEvents'],
} as const satisfies Record<string, readonly `cloudtrail:${string}`[]>;

/** lib/securityhub.ts, per `SecurityHubAdapter` method. */
export const SECURITY_HUB_ACTIONS = {
  findControlFindings: ['securityhub:GetFindings'],
  updateFindings: ['securityhub:BatchUpdateFindings'],
} as const satisfies Record<string, readonly `securityhub:${string}`[]>;

/**
 * The workflow statuses the guard sets: the values an IAM policy allows with the condition key
 * `securityhub:ASFFSyntaxPath/Workflow.Status`
 * (https://docs.aws.amazon.com/securityhub/latest/userguide/finding-update-batchupdatefindings.html).
 */
export const GUARD_WORKFLOW_STATUSES = ['NEW', 'SUPPRESSED'] as const;

/** lib/scope-items.ts: `createScopeItemWriter` and `createResultReader`. */
export const S3_ACTIONS = { writeScopeItems: ['s3:PutObject'], readResults: ['s3:GetObject'] } as const;

/** lib/forwarding-rule.ts `ForwardingRuleReader.read`, granted on the forwarding rule only (infra/member.ts). */
export const FORWARDING_RULE_ACTIONS = ['events:DescribeRule', 'events:ListTargetsByRule'] as const;

/** lib/audit-events.ts: the audit event publisher, granted on the audit bus only. */
export const AUDIT_EVENT_ACTIONS = ['events:PutEvents'] as const;

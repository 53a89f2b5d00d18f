/**
 * The member stack rolled out by two service-managed CloudFormation StackSets from the central stack
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-orgs-manage-auto-deployment.html):
 * auto-deployment to the given OUs, operation preferences, and `CallAs` for a delegated administrator. Each
 * template is a part of the member stack synthesized in-process (infra/member-stack.ts), inline as
 * `TemplateBody`: it has no assets and stays under 51,200 bytes.
 */
import { Aws, CfnStackSet, Fn, Token } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import * as z from 'zod/mini';
import { parentIdSchema, regionSchema } from '../lib/scope.ts';
import { MEMBER_PARAMETERS, type MemberTemplate } from './member-stack.ts';

/** The caller of StackSets operations: the management account itself, or a delegated administrator. */
export const STACK_SET_CALL_AS = ['SELF', 'DELEGATED_ADMIN'] as const;

/** Properties of the member StackSet ({@link EcrImmutabilityGuardOrgProps.stackSet}). Lists and strings may be tokens (CloudFormation parameters). */
export interface MemberStackSetProps {
  /**
   * The OUs (`ou-…`) or the root (`r-…`) whose accounts get the member stack; accounts moving in or out
   * follow (auto-deployment). The management account never gets one (StackSets skip it).
   */
  readonly organizationalUnitIds: readonly string[];
  /** The Regions of the forwarding stack instances: one forwarding rule each. */
  readonly regions: readonly string[];
  /**
   * The one Region of the member role's StackSet (IAM is global: the role serves every Region). It must be
   * enabled in every member account. Changing it moves the role (deleted in the old Region's instance,
   * created in the new one). @default the central stack's Region
   */
  readonly memberRoleRegion?: string;
  /** The forwarding StackSet's name; the role's is this with `-role`. @default 'ecr-immutability-guard-member' */
  readonly stackSetName?: string;
  /**
   * `DELEGATED_ADMIN` when the central stack is in a delegated administrator account for StackSets,
   * `SELF` in the management account. @default 'DELEGATED_ADMIN'
   */
  readonly callAs?: string;
  /** Keep an account's stacks (and member role) when it leaves the OUs. @default false */
  readonly retainStacksOnAccountRemoval?: boolean;
  /**
   * Percentage of accounts deployed at once per Region (1-100), with `SOFT_FAILURE_TOLERANCE`: in the default
   * strict mode concurrency is capped at the failure tolerance + 1 whatever this says
   * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-concepts.html#stackset-ops-options).
   * It applies to the operations the StackSet resource starts (create, update); auto-deployment to an account
   * that joins an OU later runs with CloudFormation's own settings.
   * @default 25
   */
  readonly maxConcurrentPercentage?: number;
  /** Percentage of accounts that may fail per Region before the operation stops (0-100). @default 10 */
  readonly failureTolerancePercentage?: number;
}

/** What the member stacks are given: where to forward, whom to trust, which organisation. */
export interface MemberStackSetParameters {
  readonly centralEventBusArn: string;
  /** The central guardrail's and sweep's role ARNs. */
  readonly centralRoleArns: readonly string[];
  readonly organizationId: string;
}

export const DEFAULT_STACK_SET_NAME = 'ecr-immutability-guard-member';
/** The member role's StackSet name: the forwarding StackSet's name with this suffix. */
export const ROLE_STACK_SET_SUFFIX = '-role';
/** StackSet names: a letter, then letters, digits and hyphens, 128 at most (leaving room for the role suffix). */
const STACK_SET_NAME = new RegExp(`^[a-zA-Z][a-zA-Z0-9-]{0,${127 - ROLE_STACK_SET_SUFFIX.length}}$`);

const literal = (value: string) => !Token.isUnresolved(value);

function listProblems(
  name: string,
  values: readonly string[],
  schema: z.ZodMiniType<string>,
  hint: string,
): string[] {
  // A list parameter is one encoded element that only `Token.isUnresolved` of the whole list recognises.
  if (Token.isUnresolved(values)) return [];
  if (values.length === 0) return [`${name}: must name at least one ${hint}`];
  return values.flatMap((value) => {
    if (!literal(value)) return [];
    const result = z.safeParse(schema, value);
    return result.success
      ? []
      : [`${name}: ${JSON.stringify(value)} ${result.error.issues[0]?.message ?? 'is invalid'}`];
  });
}

function percentProblem(name: string, value: number | undefined, min: number): string[] {
  if (value === undefined || (Number.isInteger(value) && value >= min && value <= 100)) return [];
  return [`${name}: ${JSON.stringify(value)} must be a whole number from ${min} to 100`];
}

/** Problems with the props, each naming the prop (`stackSet.<name>`) and what was given; tokens are not checked. */
export function memberStackSetProblems(props: MemberStackSetProps): string[] {
  const problems = [
    ...listProblems(
      'stackSet.organizationalUnitIds',
      props.organizationalUnitIds,
      parentIdSchema,
      'OU or root id',
    ),
    ...listProblems('stackSet.regions', props.regions, regionSchema, 'Region'),
    ...percentProblem('stackSet.maxConcurrentPercentage', props.maxConcurrentPercentage, 1),
    ...percentProblem('stackSet.failureTolerancePercentage', props.failureTolerancePercentage, 0),
  ];
  const roleRegion = props.memberRoleRegion;
  if (roleRegion !== undefined && literal(roleRegion) && !z.safeParse(regionSchema, roleRegion).success)
    problems.push(
      `stackSet.memberRoleRegion: ${JSON.stringify(roleRegion)} must be an AWS region such as eu-west-1`,
    );
  const callAs = props.callAs;
  if (callAs !== undefined && literal(callAs) && !STACK_SET_CALL_AS.some((allowed) => allowed === callAs))
    problems.push(
      `stackSet.callAs: ${JSON.stringify(callAs)} must be one of ${STACK_SET_CALL_AS.join(', ')}`,
    );
  const name = props.stackSetName;
  if (name !== undefined && literal(name) && !STACK_SET_NAME.test(name))
    problems.push(
      `stackSet.stackSetName: ${JSON.stringify(name)} must start with a letter and hold only letters, digits and hyphens (${128 - ROLE_STACK_SET_SUFFIX.length} at most: the role's StackSet adds ${ROLE_STACK_SET_SUFFIX})`,
    );
  return problems;
}

/** The Region of the member role's StackSet: the given one, else the central stack's. */
export function memberRoleRegionOf(props: MemberStackSetProps): string {
  return props.memberRoleRegion ?? Aws.REGION;
}

/** The two member StackSets. */
export interface MemberStackSets {
  /** The member role, in one Region ({@link memberRoleRegionOf}). */
  readonly role: CfnStackSet;
  /** The forwarding rule, in every Region. */
  readonly forwarding: CfnStackSet;
}

/**
 * The service-managed StackSets of the member role and of the forwarding rule. The role, global to an account,
 * is in a StackSet of its own deployed to one Region (`memberRoleRegion`, the central stack's Region by
 * default): AWS's pattern for global resources
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-concepts.html), so adding,
 * dropping or reordering forwarding Regions never touches it; one StackSet creating the role in a Region
 * chosen by list position would update every instance at once and could fail with "already exists" or delete
 * the role everywhere. The forwarding rule and its events role are in every Region of `regions`.
 * The role's StackSet is deployed after the forwarding one, so that a deployment which had the role in the
 * forwarding template removes it there before creating it in its own StackSet.
 * @throws Error listing every problem of the props.
 */
export function createMemberStackSets(
  scope: Construct,
  props: MemberStackSetProps,
  templates: { readonly role: MemberTemplate; readonly forwarding: MemberTemplate },
  parameters: MemberStackSetParameters,
): MemberStackSets {
  const problems = memberStackSetProblems(props);
  if (problems.length > 0) throw new Error(`EcrImmutabilityGuardOrg:\n  ${problems.join('\n  ')}`);
  const name = props.stackSetName ?? DEFAULT_STACK_SET_NAME;
  const common = {
    permissionModel: 'SERVICE_MANAGED',
    autoDeployment: {
      enabled: true,
      retainStacksOnAccountRemoval: props.retainStacksOnAccountRemoval ?? false,
    },
    callAs: props.callAs ?? 'DELEGATED_ADMIN',
    operationPreferences: {
      maxConcurrentPercentage: props.maxConcurrentPercentage ?? 25,
      failureTolerancePercentage: props.failureTolerancePercentage ?? 10,
      concurrencyMode: 'SOFT_FAILURE_TOLERANCE',
      regionConcurrencyType: 'PARALLEL',
    },
  };
  const targets = { organizationalUnitIds: [...props.organizationalUnitIds] };
  const forwarding = new CfnStackSet(scope, 'MemberStackSet', {
    ...common,
    stackSetName: name,
    description:
      'ecr-immutability-guard member forwarding: ECR events of every Region to the central bus, in every account of the OUs',
    // The events role has a fixed name (the central bus admits it).
    capabilities: ['CAPABILITY_NAMED_IAM'],
    stackInstancesGroup: [{ deploymentTargets: targets, regions: [...props.regions] }],
    templateBody: templates.forwarding.body,
    parameters: [
      { parameterKey: MEMBER_PARAMETERS.centralEventBusArn, parameterValue: parameters.centralEventBusArn },
    ],
  });
  const role = new CfnStackSet(scope, 'MemberRoleStackSet', {
    ...common,
    stackSetName: `${name}${ROLE_STACK_SET_SUFFIX}`,
    description:
      'ecr-immutability-guard member role: the role the central functions assume, in every account of the OUs (one Region: IAM is global)',
    // The member role has a fixed name.
    capabilities: ['CAPABILITY_NAMED_IAM'],
    stackInstancesGroup: [{ deploymentTargets: targets, regions: [memberRoleRegionOf(props)] }],
    templateBody: templates.role.body,
    parameters: [
      {
        parameterKey: MEMBER_PARAMETERS.centralRoleArns,
        parameterValue: Fn.join(',', [...parameters.centralRoleArns]),
      },
      { parameterKey: MEMBER_PARAMETERS.organizationId, parameterValue: parameters.organizationId },
    ],
  });
  role.node.addDependency(forwarding);
  return { role, forwarding };
}

/**
 * The member stack rolled out by a service-managed CloudFormation StackSet from the central stack
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-orgs-manage-auto-deployment.html):
 * auto-deployment to the given OUs and Regions (an account that joins an OU gets its stacks, one that
 * leaves loses them unless retained), operation preferences for concurrency and failure tolerance, and
 * `CallAs` for a delegated administrator. The template is the member stack synthesized in-process
 * (infra/member-stack.ts), inline as `TemplateBody`: it has no assets and stays under 51,200 bytes.
 */
import { CfnStackSet, Fn, Token } from 'aws-cdk-lib';
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
  /** The Regions of the stack instances: one forwarding rule each. */
  readonly regions: readonly string[];
  /** The one Region whose stack instance creates the member role (IAM is global). @default the first of {@link regions} */
  readonly memberRoleRegion?: string;
  /** @default 'ecr-immutability-guard-member' */
  readonly stackSetName?: string;
  /**
   * `DELEGATED_ADMIN` when the central stack is in a delegated administrator account for StackSets,
   * `SELF` in the management account. @default 'DELEGATED_ADMIN'
   */
  readonly callAs?: string;
  /** Keep an account's stacks (and member role) when it leaves the OUs. @default false */
  readonly retainStacksOnAccountRemoval?: boolean;
  /** Percentage of accounts deployed at once per Region (1-100). @default 25 */
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
/** StackSet names: a letter, then letters, digits and hyphens, 128 at most. */
const STACK_SET_NAME = /^[a-zA-Z][a-zA-Z0-9-]{0,127}$/;

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
  if (roleRegion !== undefined && literal(roleRegion)) {
    if (!z.safeParse(regionSchema, roleRegion).success)
      problems.push(
        `stackSet.memberRoleRegion: ${JSON.stringify(roleRegion)} must be an AWS region such as eu-west-1`,
      );
    else if (
      !Token.isUnresolved(props.regions) &&
      props.regions.every((region) => literal(region) && region !== roleRegion)
    )
      problems.push(
        `stackSet.memberRoleRegion: ${JSON.stringify(roleRegion)} is not one of stackSet.regions (${props.regions.join(', ')}): no stack instance would create the member role`,
      );
  }
  const callAs = props.callAs;
  if (callAs !== undefined && literal(callAs) && !STACK_SET_CALL_AS.some((allowed) => allowed === callAs))
    problems.push(
      `stackSet.callAs: ${JSON.stringify(callAs)} must be one of ${STACK_SET_CALL_AS.join(', ')}`,
    );
  const name = props.stackSetName;
  if (name !== undefined && literal(name) && !STACK_SET_NAME.test(name))
    problems.push(
      `stackSet.stackSetName: ${JSON.stringify(name)} must start with a letter and hold only letters, digits and hyphens (128 at most)`,
    );
  return problems;
}

/** The Region whose instance creates the member role: the given one, else the first of the Regions. */
export function memberRoleRegionOf(props: MemberStackSetProps): string {
  if (props.memberRoleRegion !== undefined) return props.memberRoleRegion;
  if (Token.isUnresolved(props.regions)) return Fn.select(0, [...props.regions]);
  const [first] = props.regions;
  if (first === undefined) throw new Error('stackSet.regions: must name at least one Region');
  return first;
}

/**
 * The service-managed StackSet of the member template.
 * @throws Error listing every problem of the props.
 */
export function createMemberStackSet(
  scope: Construct,
  id: string,
  props: MemberStackSetProps,
  template: MemberTemplate,
  parameters: MemberStackSetParameters,
): CfnStackSet {
  const problems = memberStackSetProblems(props);
  if (problems.length > 0) throw new Error(`EcrImmutabilityGuardOrg:\n  ${problems.join('\n  ')}`);
  return new CfnStackSet(scope, id, {
    stackSetName: props.stackSetName ?? DEFAULT_STACK_SET_NAME,
    description:
      'ecr-immutability-guard member: the role the central functions assume and ECR event forwarding, in every account of the OUs',
    permissionModel: 'SERVICE_MANAGED',
    autoDeployment: {
      enabled: true,
      retainStacksOnAccountRemoval: props.retainStacksOnAccountRemoval ?? false,
    },
    callAs: props.callAs ?? 'DELEGATED_ADMIN',
    // The member role has a fixed name.
    capabilities: ['CAPABILITY_NAMED_IAM'],
    operationPreferences: {
      maxConcurrentPercentage: props.maxConcurrentPercentage ?? 25,
      failureTolerancePercentage: props.failureTolerancePercentage ?? 10,
      regionConcurrencyType: 'PARALLEL',
    },
    stackInstancesGroup: [
      {
        deploymentTargets: { organizationalUnitIds: [...props.organizationalUnitIds] },
        regions: [...props.regions],
      },
    ],
    templateBody: template.body,
    parameters: [
      { parameterKey: MEMBER_PARAMETERS.centralEventBusArn, parameterValue: parameters.centralEventBusArn },
      {
        parameterKey: MEMBER_PARAMETERS.centralRoleArns,
        parameterValue: Fn.join(',', [...parameters.centralRoleArns]),
      },
      { parameterKey: MEMBER_PARAMETERS.organizationId, parameterValue: parameters.organizationId },
      { parameterKey: MEMBER_PARAMETERS.memberRoleRegion, parameterValue: memberRoleRegionOf(props) },
    ],
  });
}

/**
 * The member stack: one {@link EcrImmutabilityGuardMember} whose central bus, central roles and organisation
 * are CloudFormation parameters, so one asset-free template serves every account and Region of a StackSet;
 * and its in-process synthesis into the templates the central construct's StackSets carry.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  App,
  Aws,
  BootstraplessSynthesizer,
  CfnCondition,
  CfnOutput,
  CfnParameter,
  CfnResource,
  Fn,
  Stack,
  type StackProps,
} from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import {
  addMemberForwarding,
  addMemberRole,
  EcrImmutabilityGuardMember,
  EVENT_BUS_ARN,
  type MemberStackSettings,
  memberForwardingPropsProblems,
  memberRolePropsProblems,
  ORGANIZATION_ID,
} from './member.ts';

/** The member template's parameters, by the logical ID the template and a StackSet use. */
export const MEMBER_PARAMETERS = {
  centralEventBusArn: 'CentralEventBusArn',
  centralRoleArns: 'CentralRoleArns',
  organizationId: 'OrganizationId',
  memberRoleRegion: 'MemberRoleRegion',
} as const;

/**
 * Which parts of the member a template holds:
 * - `all` (the hand deployment, `cdk.out/EcrImmutabilityGuardMemberStack.template.json`): both parts; IAM is
 *   global to an account, so the named member role is created only by the stack instance in the
 *   `MemberRoleRegion` parameter's Region, and the forwarding rule and its events role in every Region;
 * - `role`: the member role alone, for a StackSet deployed to one Region only, AWS's pattern for global
 *   resources (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-concepts.html), so no
 *   change to the forwarding Regions ever moves the role;
 * - `forwarding`: the forwarding rule and its events role alone, for the StackSet deployed to every Region.
 * The parts keep the construct IDs of `all`, so the resources' logical IDs are the same in every template.
 */
export const MEMBER_PARTS = ['all', 'role', 'forwarding'] as const;
export type MemberParts = (typeof MEMBER_PARTS)[number];

const DESCRIPTIONS: Record<MemberParts, string> = {
  all: 'ecr-immutability-guard member: the role the central functions assume and ECR event forwarding',
  role: 'ecr-immutability-guard member role: the role the central functions assume (one Region: IAM is global)',
  forwarding: 'ecr-immutability-guard member forwarding: ECR events of this Region to the central bus',
};

export interface EcrImmutabilityGuardMemberStackProps extends StackProps {
  /**
   * The settings fixed at synthesis, or a function building them in the stack (e.g. from context).
   * @default the member's defaults (role `EcrImmutabilityGuardMember`, no external id, no optional actions)
   */
  readonly member?: MemberStackSettings | ((stack: Stack) => MemberStackSettings);
  /** Which parts of the member the template holds ({@link MEMBER_PARTS}). @default 'all' */
  readonly parts?: MemberParts;
}

/**
 * The member template's stack. It uses no CDK bootstrap resources (member accounts are not bootstrapped): the
 * {@link BootstraplessSynthesizer} adds no bootstrap version parameter and refuses assets.
 */
export class EcrImmutabilityGuardMemberStack extends Stack {
  /** The whole member (`parts: 'all'`); undefined for a template of one part. */
  readonly member: EcrImmutabilityGuardMember | undefined;
  /** The member role; undefined in the `forwarding` template. */
  readonly memberRole: iam.Role | undefined;
  /** The forwarding rule; undefined in the `role` template. */
  readonly forwardingRule: events.Rule | undefined;

  constructor(scope: Construct, id: string, props: EcrImmutabilityGuardMemberStackProps = {}) {
    super(scope, id, {
      synthesizer: new BootstraplessSynthesizer(),
      description: DESCRIPTIONS[props.parts ?? 'all'],
      ...props,
    });
    const parts = props.parts ?? 'all';
    const withRole = parts !== 'forwarding';
    const withForwarding = parts !== 'role';
    const centralEventBusArn = withForwarding
      ? new CfnParameter(this, MEMBER_PARAMETERS.centralEventBusArn, {
          type: 'String',
          description: 'ARN of the central event bus the ECR events are forwarded to',
          allowedPattern: EVENT_BUS_ARN.source,
          constraintDescription:
            'must be an event bus ARN: arn:aws:events:<region>:<account>:event-bus/<name>',
        }).valueAsString
      : undefined;
    const roleParameters = withRole
      ? {
          centralRoleArns: new CfnParameter(this, MEMBER_PARAMETERS.centralRoleArns, {
            type: 'CommaDelimitedList',
            description: 'ARNs of the central guardrail and sweep functions’ roles, comma-separated',
          }).valueAsList,
          organizationId: new CfnParameter(this, MEMBER_PARAMETERS.organizationId, {
            type: 'String',
            description: 'The organisation id (o-…) the central roles belong to',
            allowedPattern: ORGANIZATION_ID.source,
            constraintDescription: 'must be an organisation id: o- and 10-32 lower-case letters or digits',
          }).valueAsString,
        }
      : undefined;
    const settings = typeof props.member === 'function' ? props.member(this) : props.member;
    const member = { repositoryRegion: '*', ...settings };
    if (roleParameters !== undefined && centralEventBusArn !== undefined) {
      this.member = new EcrImmutabilityGuardMember(this, 'Member', {
        ...member,
        ...roleParameters,
        centralEventBusArn,
      });
      this.memberRole = this.member.memberRole;
      this.forwardingRule = this.member.forwardingRule;
      this.createRoleInOneRegion(this.member.memberRole, this.member.memberPolicies);
      return;
    }
    this.member = undefined;
    // The same construct path as the whole member's, so the logical IDs are the same in every template.
    const parent = new Construct(this, 'Member');
    if (roleParameters !== undefined) {
      const input = { ...member, ...roleParameters };
      throwOnProblems(memberRolePropsProblems(input));
      const role = addMemberRole(parent, input);
      this.memberRole = role.memberRole;
      this.forwardingRule = undefined;
      new CfnOutput(this, 'MemberRoleArn', { value: role.memberRole.roleArn });
    } else {
      const input = { centralEventBusArn: centralEventBusArn ?? '' };
      throwOnProblems(memberForwardingPropsProblems(input));
      this.forwardingRule = addMemberForwarding(parent, input).forwardingRule;
      this.memberRole = undefined;
    }
  }

  /** The `all` template's role is created only by the stack instance in the `MemberRoleRegion` parameter's Region. */
  private createRoleInOneRegion(role: iam.Role, policies: readonly iam.Policy[]): void {
    const roleRegion = new CfnParameter(this, MEMBER_PARAMETERS.memberRoleRegion, {
      type: 'String',
      description:
        'The one Region whose stack instance creates the member role (IAM roles are global to an account)',
      allowedPattern: '^[a-z]{2}(-[a-z]+)+-\\d+$',
      constraintDescription: 'must be a Region name such as eu-west-1',
    });
    const createsRole = new CfnCondition(this, 'CreatesMemberRole', {
      expression: Fn.conditionEquals(Aws.REGION, roleRegion.valueAsString),
    });
    for (const construct of [role, ...policies]) {
      const resource = construct.node.defaultChild;
      if (resource instanceof CfnResource) resource.cfnOptions.condition = createsRole;
    }
    new CfnOutput(this, 'MemberRoleArn', { value: role.roleArn, condition: createsRole });
  }
}

function throwOnProblems(problems: readonly string[]): void {
  if (problems.length > 0)
    throw new Error(`Invalid EcrImmutabilityGuardMember props:\n  ${problems.join('\n  ')}`);
}

/**
 * The largest template a StackSet takes inline in `TemplateBody`, in bytes
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStackSet.html).
 */
export const STACK_SET_TEMPLATE_BODY_LIMIT = 51_200;

/** The member template as a StackSet's `TemplateBody` takes it. */
export interface MemberTemplate {
  /** The template as compact JSON. */
  readonly body: string;
  /** Its size in bytes (UTF-8), at most {@link STACK_SET_TEMPLATE_BODY_LIMIT}. */
  readonly bytes: number;
}

/**
 * Synthesizes the member stack in a throw-away app of its own, in-process, and returns its template
 * for a StackSet's `TemplateBody` (infra/stack-set.ts). Only CDK's feature flags are taken from
 * `context` (they shape the template); path metadata and version reporting are off, so the body is
 * the plain template. The app writes to a temporary directory (never the CLI's `cdk.out`), removed after.
 *
 * @throws Error when the template has assets (a StackSet cannot upload them) or exceeds {@link STACK_SET_TEMPLATE_BODY_LIMIT}.
 */
export function synthesizeMemberTemplate(
  settings: MemberStackSettings,
  context: Readonly<Record<string, unknown>> = {},
  parts: MemberParts = 'all',
): MemberTemplate {
  const featureFlags = Object.fromEntries(
    Object.entries(context).filter(([key]) => key.startsWith('@aws-cdk')),
  );
  const outdir = mkdtempSync(join(tmpdir(), 'ecr-guard-member-template-'));
  try {
    const app = new App({
      outdir,
      autoSynth: false,
      analyticsReporting: false,
      context: featureFlags,
      // After the CLI's context (CDK_CONTEXT_JSON), which would turn path metadata on.
      postCliContext: { 'aws:cdk:enable-path-metadata': false, 'aws:cdk:version-reporting': false },
    });
    const stack = new EcrImmutabilityGuardMemberStack(app, 'EcrImmutabilityGuardMemberStack', {
      member: settings,
      parts,
    });
    const artifact = app.synth().getStackArtifact(stack.artifactId);
    if (artifact.assets.length > 0) {
      throw new Error(
        `the member template has ${artifact.assets.length} asset(s): a StackSet template must have none`,
      );
    }
    const body = JSON.stringify(artifact.template);
    const bytes = Buffer.byteLength(body, 'utf8');
    if (bytes > STACK_SET_TEMPLATE_BODY_LIMIT) {
      throw new Error(
        `the member template is ${bytes} bytes: over the ${STACK_SET_TEMPLATE_BODY_LIMIT}-byte limit of a StackSet TemplateBody`,
      );
    }
    return { body, bytes };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

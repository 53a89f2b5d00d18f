/**
 * The organisation's central deployment (infra/org-guard.ts): the central roles reach only the member
 * role, only inside the organisation; only the scope function reads Organizations; the central bus
 * admits only the organisation and carries the guardrail rule with the single-account pattern; the
 * StackSet rolls out the member template synthesized in-process, with the right parameters; bad props
 * fail naming the prop; and the parts shared with the single-account construct are the same parts.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, CfnParameter, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { orgGuardPropsFromContext } from '../../infra/app-config.ts';
import { guardrailEventPattern } from '../../infra/guardrail-event-pattern.ts';
import type { MemberStackSettings } from '../../infra/member.ts';
import {
  MEMBER_PARAMETERS,
  STACK_SET_TEMPLATE_BODY_LIMIT,
  synthesizeMemberTemplate,
} from '../../infra/member-stack.ts';
import { EcrImmutabilityGuardOrg, type EcrImmutabilityGuardOrgProps } from '../../infra/org-guard.ts';
import { EcrImmutabilityGuardOrgStack } from '../../infra/stack.ts';
import type { MemberStackSetProps } from '../../infra/stack-set.ts';
import { FORWARDING_ROLE_NAME_PREFIX, FORWARDING_RULE_NAME, UNGUARDED_METRIC } from '../../lib/forwarding.ts';
import { deployedValue } from './cloudformation-values.ts';
import {
  allowedPairs,
  attachedStatements,
  cdkJsonContext,
  findResource,
  resources,
  synthesize,
} from './helpers.ts';

const ORG = 'o-abcdef1234';
const MEMBER_ROLES = 'arn:<AWS::Partition>:iam::*:role/EcrImmutabilityGuardMember';
const STACK_SET: MemberStackSetProps = {
  organizationalUnitIds: ['ou-ab12-cdef3456', 'r-ab12'],
  regions: ['eu-west-1', 'us-east-1'],
};

let bundles: string | undefined;
/** A bundle directory with placeholder guardrail, sweep and scope bundles. */
function stubBundles(): string {
  if (bundles !== undefined) return bundles;
  const dir = mkdtempSync(path.join(tmpdir(), 'ecr-guard-org-bundles-'));
  for (const name of ['guardrail', 'sweep', 'scope']) {
    mkdirSync(path.join(dir, name));
    writeFileSync(path.join(dir, name, 'index.mjs'), 'export const handler = async () => ({});\n');
  }
  bundles = dir;
  return dir;
}

type OrgProps = Partial<EcrImmutabilityGuardOrgProps>;

function newApp(): App {
  return new App({
    context: cdkJsonContext(),
    outdir: mkdtempSync(path.join(tmpdir(), 'ecr-guard-org-out-')),
  });
}

function synthesizeOrg(props: OrgProps = {}, env?: { account: string; region: string }) {
  const app = newApp();
  const stack = new Stack(app, 'Central', env === undefined ? {} : { env });
  const guard = new EcrImmutabilityGuardOrg(stack, 'Guard', {
    bundleDir: stubBundles(),
    organizationId: ORG,
    stackSet: STACK_SET,
    alarmEmail: 'ops@example.com',
    ...props,
  });
  return { app, stack, guard, template: Template.fromStack(stack) };
}

function roleId(template: Template, prefix: string): string {
  return findResource(template, 'AWS::IAM::Role', prefix)[0];
}

const memberAccess = (pairs: string[]) => pairs.filter((pair) => /^(sts|organizations):/.test(pair));

describe('the central functions’ roles', () => {
  it.each(['GuardGuardrailRole', 'GuardSweepRole'])(
    'let %s assume only the member role, only in accounts of the organisation, and list nothing',
    (prefix) => {
      const { template } = synthesizeOrg();
      const id = roleId(template, prefix);
      expect(memberAccess(allowedPairs(template, id))).toEqual([`sts:AssumeRole on ${MEMBER_ROLES}`]);
      expect(
        attachedStatements(template, id).filter((statement) => JSON.stringify(statement).includes('sts:')),
      ).toEqual([
        {
          Sid: 'AssumeMemberRole',
          Effect: 'Allow',
          Action: 'sts:AssumeRole',
          Resource: MEMBER_ROLES,
          Condition: { StringEquals: { 'aws:ResourceOrgID': ORG } },
        },
      ]);
    },
  );

  it.each(['GuardGuardrailRole', 'GuardSweepRole'])(
    'let %s act on the repositories of its own account in every Region of the scope',
    (prefix) => {
      const { template } = synthesizeOrg();
      const ecr = allowedPairs(template, roleId(template, prefix)).filter((pair) => pair.startsWith('ecr:'));
      expect(ecr).toEqual([
        'ecr:DescribeRepositories on arn:<AWS::Partition>:ecr:*:<AWS::AccountId>:repository/*',
        'ecr:PutImageTagMutability on arn:<AWS::Partition>:ecr:*:<AWS::AccountId>:repository/*',
      ]);
    },
  );

  it('use the member role name given', () => {
    const { template } = synthesizeOrg({ memberRoleName: 'GuardMember' });
    expect(memberAccess(allowedPairs(template, roleId(template, 'GuardSweepRole')))).toEqual([
      'sts:AssumeRole on arn:<AWS::Partition>:iam::*:role/GuardMember',
    ]);
  });

  it('let the scope function only list the organisation, write its own logs, its items and read the results', () => {
    const { template } = synthesizeOrg();
    const id = roleId(template, 'GuardScopeRole');
    expect(allowedPairs(template, id)).toEqual(
      [
        'logs:CreateLogStream on <GuardScopeLogs2BE12C0C.Arn>',
        'logs:PutLogEvents on <GuardScopeLogs2BE12C0C.Arn>',
        'organizations:DescribeOrganization on *',
        'organizations:ListAccounts on *',
        's3:GetObject on <GuardResultsBucket02A7CACF.Arn>/results/*',
        's3:PutObject on <GuardResultsBucket02A7CACF.Arn>/scope/*',
      ].sort(),
    );
  });

  it('let the scope function walk the OUs instead when the scope names OUs', () => {
    const { template } = synthesizeOrg({ organizationalUnits: ['ou-ab12-cdef3456'] });
    expect(memberAccess(allowedPairs(template, roleId(template, 'GuardScopeRole')))).toEqual([
      'organizations:DescribeOrganization on *',
      'organizations:ListAccountsForParent on *',
      'organizations:ListOrganizationalUnitsForParent on *',
    ]);
    expect(memberAccess(allowedPairs(template, roleId(template, 'GuardGuardrailRole')))).toEqual([
      `sts:AssumeRole on ${MEMBER_ROLES}`,
    ]);
  });

  it('grant sts:AssumeRole nowhere else in the stack', () => {
    const { template } = synthesizeOrg();
    const assuming = Object.values(resources(template))
      .filter((resource) => resource.Type === 'AWS::IAM::Policy')
      .flatMap((resource) => {
        const document = resource.Properties?.PolicyDocument;
        return typeof document === 'object' &&
          document !== null &&
          'Statement' in document &&
          Array.isArray(document.Statement)
          ? document.Statement
          : [];
      })
      .filter((statement: unknown) => JSON.stringify(statement).includes('sts:'));
    expect(assuming).toHaveLength(2);
  });

  it.each([
    ['GuardGuardrailFunction', 'guardrail'],
    ['GuardSweepFunction', 'sweep'],
    ['GuardScopeFunction', 'scope'],
  ])('run %s in organisation mode over the StackSet Regions', (prefix) => {
    const [, fn] = findResource(synthesizeOrg().template, 'AWS::Lambda::Function', prefix);
    expect(fn.Environment).toMatchObject({
      Variables: { ORGANIZATION_MODE: 'true', SCOPE_REGIONS: 'eu-west-1,us-east-1' },
    });
  });

  it('keep the scope Regions when they are given', () => {
    const [, fn] = findResource(
      synthesizeOrg({ scopeRegions: ['ap-south-1'] }).template,
      'AWS::Lambda::Function',
      'GuardScopeFunction',
    );
    expect(fn.Environment).toMatchObject({ Variables: { SCOPE_REGIONS: 'ap-south-1' } });
  });
});

describe('the central event bus', () => {
  it('admits events:PutEvents only from the member forwarding roles, inside the organisation', () => {
    const { template } = synthesizeOrg();
    const [busId] = findResource(template, 'AWS::Events::EventBus', 'GuardCentralEventBus');
    const [, policy] = findResource(template, 'AWS::Events::EventBusPolicy', 'GuardCentralEventBus');
    expect(policy).toEqual({
      EventBusName: { Ref: busId },
      StatementId: 'cdk-OrganizationPutEvents',
      Statement: {
        Sid: 'cdk-OrganizationPutEvents',
        Effect: 'Allow',
        Principal: '*',
        Action: 'events:PutEvents',
        Resource: { 'Fn::GetAtt': [busId, 'Arn'] },
        Condition: {
          StringEquals: { 'aws:PrincipalOrgID': ORG },
          ArnLike: {
            'aws:PrincipalArn': {
              'Fn::Join': [
                '',
                ['arn:', { Ref: 'AWS::Partition' }, `:iam::*:role/${FORWARDING_ROLE_NAME_PREFIX}-*`],
              ],
            },
          },
        },
      },
    });
    // The name the member stacks give their forwarding role.
    const member = JSON.parse(synthesizeOrg().guard.memberForwardingTemplateBody);
    const [, role] = Object.entries(
      member.Resources as Record<string, { Type: string; Properties: { RoleName?: unknown } }>,
    ).find(([, resource]) => resource.Type === 'AWS::IAM::Role') ?? [undefined, undefined];
    expect(JSON.stringify(role?.Properties.RoleName)).toContain(`${FORWARDING_ROLE_NAME_PREFIX}-`);
  });

  it('carries the guardrail rule with the single-account pattern, retries and dead-letter queue', () => {
    const { template } = synthesizeOrg();
    const [busId] = findResource(template, 'AWS::Events::EventBus', 'GuardCentralEventBus');
    const [functionId] = findResource(template, 'AWS::Lambda::Function', 'GuardGuardrailFunction');
    const [queueId] = findResource(template, 'AWS::SQS::Queue', 'GuardDeadLetterQueue');
    const rules = Object.values(resources(template)).filter(
      (resource) => resource.Type === 'AWS::Events::Rule' && resource.Properties?.EventPattern !== undefined,
    );
    expect(rules).toHaveLength(1);
    expect(rules[0]?.Properties).toMatchObject({
      EventBusName: { Ref: busId },
      EventPattern: JSON.parse(JSON.stringify(guardrailEventPattern())),
      State: 'ENABLED',
      Targets: [
        {
          Arn: { 'Fn::GetAtt': [functionId, 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 },
        },
      ],
    });
  });

  it('takes the name given', () => {
    const [, bus] = findResource(
      synthesizeOrg({ eventBusName: 'ecr-guard-central' }).template,
      'AWS::Events::EventBus',
      'GuardCentralEventBus',
    );
    expect(bus.Name).toBe('ecr-guard-central');
  });
});

describe('the results bucket', () => {
  it('is encrypted, private, TLS-only and expires its objects', () => {
    const { template } = synthesizeOrg({ resultsRetentionDays: 7 });
    const [bucketId, bucket] = findResource(template, 'AWS::S3::Bucket', 'GuardResultsBucket');
    expect(bucket).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: {
        Rules: [
          {
            Id: 'ExpireResults',
            ExpirationInDays: 7,
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
            Status: 'Enabled',
          },
        ],
      },
    });
    const [, policy] = findResource(template, 'AWS::S3::BucketPolicy', 'GuardResultsBucket');
    expect(JSON.stringify(policy)).toContain('"aws:SecureTransport":"false"');
    expect(JSON.stringify(policy)).toContain(bucketId);
  });
});

describe('the member StackSets', () => {
  const settings: MemberStackSettings = {
    memberRoleName: 'EcrImmutabilityGuardMember',
    tagExemptions: false,
    checkCreationTemplates: false,
  };
  const stackSets = (template: Template) => ({
    forwarding: findResource(template, 'AWS::CloudFormation::StackSet', 'GuardMemberStackSet')[1],
    role: findResource(template, 'AWS::CloudFormation::StackSet', 'GuardMemberRoleStackSet')[1],
  });
  const OPERATION_PREFERENCES = {
    MaxConcurrentPercentage: 25,
    FailureTolerancePercentage: 10,
    ConcurrencyMode: 'SOFT_FAILURE_TOLERANCE',
    RegionConcurrencyType: 'PARALLEL',
  };

  it('deploy the forwarding rule to every Region, service-managed, auto-deployed, with soft failure tolerance', () => {
    const { forwarding } = stackSets(synthesizeOrg().template);
    const { TemplateBody: _body, Parameters: _parameters, ...properties } = forwarding;
    expect(properties).toEqual({
      StackSetName: 'ecr-immutability-guard-member',
      Description: expect.stringContaining('ecr-immutability-guard member forwarding'),
      PermissionModel: 'SERVICE_MANAGED',
      AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
      CallAs: 'DELEGATED_ADMIN',
      Capabilities: ['CAPABILITY_NAMED_IAM'],
      OperationPreferences: OPERATION_PREFERENCES,
      StackInstancesGroup: [
        {
          DeploymentTargets: { OrganizationalUnitIds: ['ou-ab12-cdef3456', 'r-ab12'] },
          Regions: ['eu-west-1', 'us-east-1'],
        },
      ],
    });
  });

  it('deploy the member role in one Region only, the central stack’s, after the forwarding StackSet', () => {
    const { template } = synthesizeOrg();
    const { role } = stackSets(template);
    const { TemplateBody: _body, Parameters: _parameters, ...properties } = role;
    expect(properties).toEqual({
      StackSetName: 'ecr-immutability-guard-member-role',
      Description: expect.stringContaining('ecr-immutability-guard member role'),
      PermissionModel: 'SERVICE_MANAGED',
      AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
      CallAs: 'DELEGATED_ADMIN',
      Capabilities: ['CAPABILITY_NAMED_IAM'],
      OperationPreferences: OPERATION_PREFERENCES,
      StackInstancesGroup: [
        {
          DeploymentTargets: { OrganizationalUnitIds: ['ou-ab12-cdef3456', 'r-ab12'] },
          Regions: [{ Ref: 'AWS::Region' }],
        },
      ],
    });
    const [forwardingId] = findResource(template, 'AWS::CloudFormation::StackSet', 'GuardMemberStackSet');
    const [roleSetId] = findResource(template, 'AWS::CloudFormation::StackSet', 'GuardMemberRoleStackSet');
    expect(template.toJSON().Resources[roleSetId].DependsOn).toEqual([forwardingId]);
  });

  it.each([
    ['reordered', ['us-east-1', 'eu-west-1']],
    ['with the first one dropped', ['us-east-1']],
    ['with one added first', ['ap-south-1', 'eu-west-1', 'us-east-1']],
  ])(
    'keep the role where it is when the Regions are %s: only the forwarding StackSet changes',
    (_, regions) => {
      const before = stackSets(synthesizeOrg().template);
      const after = stackSets(synthesizeOrg({ stackSet: { ...STACK_SET, regions } }).template);
      expect(after.role).toEqual(before.role);
      expect(after.forwarding.StackInstancesGroup).toEqual([expect.objectContaining({ Regions: regions })]);
      // The forwarding template creates no member role, in any Region.
      expect(after.forwarding.TemplateBody).not.toContain('"RoleName":"EcrImmutabilityGuardMember"');
      expect(after.forwarding.TemplateBody).not.toContain('MemberRoleRegion');
    },
  );

  it('take the StackSet props given, the role’s Region among them', () => {
    const { template } = synthesizeOrg({
      stackSet: {
        ...STACK_SET,
        stackSetName: 'guard-members',
        callAs: 'SELF',
        retainStacksOnAccountRemoval: true,
        maxConcurrentPercentage: 100,
        failureTolerancePercentage: 0,
        memberRoleRegion: 'ap-south-1',
      },
    });
    const { forwarding, role } = stackSets(template);
    for (const [stackSet, name] of [
      [forwarding, 'guard-members'],
      [role, 'guard-members-role'],
    ] as const) {
      expect(stackSet).toMatchObject({
        StackSetName: name,
        CallAs: 'SELF',
        AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: true },
        OperationPreferences: {
          MaxConcurrentPercentage: 100,
          FailureTolerancePercentage: 0,
          ConcurrencyMode: 'SOFT_FAILURE_TOLERANCE',
        },
      });
    }
    expect(role.StackInstancesGroup).toEqual([expect.objectContaining({ Regions: ['ap-south-1'] })]);
  });

  it('give the forwarding stacks the central bus, and the role stacks the guardrail and sweep roles and the organisation', () => {
    const { template } = synthesizeOrg();
    const { forwarding, role } = stackSets(template);
    const [busId] = findResource(template, 'AWS::Events::EventBus', 'GuardCentralEventBus');
    expect(forwarding.Parameters).toEqual([
      { ParameterKey: 'CentralEventBusArn', ParameterValue: { 'Fn::GetAtt': [busId, 'Arn'] } },
    ]);
    expect(role.Parameters).toEqual([
      {
        ParameterKey: 'CentralRoleArns',
        ParameterValue: {
          'Fn::Join': [
            ',',
            [
              { 'Fn::GetAtt': [roleId(template, 'GuardGuardrailRole'), 'Arn'] },
              { 'Fn::GetAtt': [roleId(template, 'GuardSweepRole'), 'Arn'] },
            ],
          ],
        },
      },
      { ParameterKey: 'OrganizationId', ParameterValue: ORG },
    ]);
  });

  it('carry the member templates themselves: every parameter given, no assets, no bootstrap, within 51,200 bytes', () => {
    const { template, guard } = synthesizeOrg();
    const { forwarding, role } = stackSets(template);
    expect(forwarding.TemplateBody).toBe(guard.memberForwardingTemplateBody);
    expect(role.TemplateBody).toBe(guard.memberRoleTemplateBody);
    for (const [stackSet, parts] of [
      [forwarding, 'forwarding'],
      [role, 'role'],
    ] as const) {
      const body = stackSet.TemplateBody;
      if (typeof body !== 'string') throw new Error('TemplateBody is not a string');
      expect(Buffer.byteLength(body)).toBeLessThanOrEqual(STACK_SET_TEMPLATE_BODY_LIMIT);
      const member = JSON.parse(body);
      expect(Object.keys(member.Parameters).sort()).toEqual(
        (stackSet.Parameters as { ParameterKey: string }[]).map((parameter) => parameter.ParameterKey).sort(),
      );
      expect(member.Rules).toBeUndefined();
      expect(JSON.stringify(member)).not.toMatch(/aws:cdk:path|cdk-hnb659fds|AssetParameters/);
      expect(member).toEqual(JSON.parse(synthesizeMemberTemplate(settings, cdkJsonContext(), parts).body));
    }
    // The whole template, for a hand deployment, is the one `npm run synth` writes.
    const whole = JSON.parse(guard.memberTemplateBody);
    expect(Object.keys(whole.Parameters).sort()).toEqual(Object.values(MEMBER_PARAMETERS).sort());
    expect(whole).toEqual(JSON.parse(synthesizeMemberTemplate(settings, cdkJsonContext()).body));
  });

  it('carry the member features of the central props: role name, external id, tag exemptions, template checks', () => {
    const { guard } = synthesizeOrg({
      memberRoleName: 'GuardMember',
      memberExternalId: 'guard-ext-1',
      exemptTagKey: 'ecr-guard:exempt',
      checkCreationTemplates: true,
    });
    for (const body of [guard.memberTemplateBody, guard.memberRoleTemplateBody]) {
      expect(body).toContain('"RoleName":"GuardMember"');
      expect(body).toContain('"sts:ExternalId":"guard-ext-1"');
      expect(body).toContain('ecr:ListTagsForResource');
      expect(body).toContain('ecr:UpdateRepositoryCreationTemplate');
    }
  });

  it('are left out with stackSet: false, the templates still at hand', () => {
    const { template, guard } = synthesizeOrg({ stackSet: false });
    expect(
      Object.values(resources(template)).filter((r) => r.Type === 'AWS::CloudFormation::StackSet'),
    ).toEqual([]);
    expect(guard.stackSet).toBeUndefined();
    expect(guard.roleStackSet).toBeUndefined();
    expect(JSON.parse(guard.memberTemplateBody).Parameters).toHaveProperty('CentralRoleArns');
  });
});

describe('the props', () => {
  it.each<[string, OrgProps, string]>([
    [
      'a malformed organisation id',
      { organizationId: 'o-ABC' },
      'organizationId: "o-ABC" is not an organisation id',
    ],
    [
      'a Distributed Map concurrency of 0',
      { maxConcurrency: 0 },
      'maxConcurrency: 0 must be a whole number from 1 to 10000',
    ],
    [
      'a results retention of half a day',
      { resultsRetentionDays: 0.5 },
      'resultsRetentionDays: 0.5 must be a whole number',
    ],
    [
      'an OU id that is not one',
      { stackSet: { ...STACK_SET, organizationalUnitIds: ['ou-x'] } },
      'stackSet.organizationalUnitIds: "ou-x" must be an organizational unit id',
    ],
    [
      'no OU at all',
      { stackSet: { ...STACK_SET, organizationalUnitIds: [] } },
      'stackSet.organizationalUnitIds: must name at least one OU or root id',
    ],
    [
      'a Region that is not one',
      { stackSet: { ...STACK_SET, regions: ['eu-west-1', 'moon-1'] } },
      'stackSet.regions: "moon-1" must be an AWS region',
    ],
    [
      'a role Region that is not one',
      { stackSet: { ...STACK_SET, memberRoleRegion: 'Ireland' } },
      'stackSet.memberRoleRegion: "Ireland" must be an AWS region',
    ],
    [
      'an unknown CallAs',
      { stackSet: { ...STACK_SET, callAs: 'ADMIN' } },
      'stackSet.callAs: "ADMIN" must be one of SELF, DELEGATED_ADMIN',
    ],
    [
      'a concurrency over 100 %',
      { stackSet: { ...STACK_SET, maxConcurrentPercentage: 101 } },
      'stackSet.maxConcurrentPercentage: 101 must be a whole number from 1 to 100',
    ],
    [
      'a negative failure tolerance',
      { stackSet: { ...STACK_SET, failureTolerancePercentage: -1 } },
      'stackSet.failureTolerancePercentage: -1 must be a whole number from 0 to 100',
    ],
    [
      'a StackSet name with an underscore',
      { stackSet: { ...STACK_SET, stackSetName: 'guard_members' } },
      'stackSet.stackSetName: "guard_members" must start with a letter',
    ],
    ['a bad setting of the single-account props', { sweepConcurrency: 100 }, 'sweepConcurrency'],
  ])('fail synthesis on %s, naming it', (_name, props, message) => {
    expect(() => synthesizeOrg(props)).toThrow(message);
  });

  it('accept CloudFormation parameters for the organisation, OUs, Regions and CallAs', () => {
    const app = newApp();
    const stack = new EcrImmutabilityGuardOrgStack(app, 'Central', {
      guard: { bundleDir: stubBundles(), alarmEmail: 'ops@example.com' },
    });
    const template = Template.fromStack(stack);
    expect(Object.keys(template.toJSON().Parameters)).toEqual(
      expect.arrayContaining([
        'OrganizationId',
        'MemberOrganizationalUnitIds',
        'MemberRegions',
        'StackSetCallAs',
      ]),
    );
    const [, stackSet] = findResource(template, 'AWS::CloudFormation::StackSet', 'GuardMemberStackSet');
    expect(stackSet).toMatchObject({
      CallAs: { Ref: 'StackSetCallAs' },
      StackInstancesGroup: [
        {
          DeploymentTargets: { OrganizationalUnitIds: { Ref: 'MemberOrganizationalUnitIds' } },
          Regions: { Ref: 'MemberRegions' },
        },
      ],
    });
    const [, roleSet] = findResource(template, 'AWS::CloudFormation::StackSet', 'GuardMemberRoleStackSet');
    expect(roleSet).toMatchObject({
      CallAs: { Ref: 'StackSetCallAs' },
      StackInstancesGroup: [
        {
          DeploymentTargets: { OrganizationalUnitIds: { Ref: 'MemberOrganizationalUnitIds' } },
          Regions: [{ Ref: 'AWS::Region' }],
        },
      ],
    });
    const [, bus] = findResource(template, 'AWS::Events::EventBusPolicy', 'GuardCentralEventBus');
    expect(bus.Statement).toMatchObject({
      Condition: { StringEquals: { 'aws:PrincipalOrgID': { Ref: 'OrganizationId' } } },
    });
    const [, fn] = findResource(template, 'AWS::Lambda::Function', 'GuardSweepFunction');
    expect(fn.Environment).toMatchObject({
      Variables: { SCOPE_REGIONS: { 'Fn::Join': [',', { Ref: 'MemberRegions' }] } },
    });
  });

  it('come from the app context like the single-account stack’s, without the trail settings', () => {
    const stack = new Stack(new App(), 'S');
    const props = orgGuardPropsFromContext(stack, {
      dryRun: 'true',
      createTrail: 'true',
      trailRetentionDays: '30',
      memberRoleName: 'GuardMember',
    });
    expect(props).toMatchObject({ dryRun: true, memberRoleName: 'GuardMember' });
    expect(props).not.toHaveProperty('createTrail');
    expect(props).not.toHaveProperty('trailRetentionDays');
    expect(() => orgGuardPropsFromContext(stack, { dryrun: 'true' })).toThrow(/did you mean dryRun\?/);
  });

  it('accept a token organisation id in the construct', () => {
    const app = newApp();
    const stack = new Stack(app, 'Central');
    const id = new CfnParameter(stack, 'Org').valueAsString;
    expect(
      () =>
        new EcrImmutabilityGuardOrg(stack, 'Guard', {
          bundleDir: stubBundles(),
          organizationId: id,
          stackSet: false,
          createAlarms: false,
        }),
    ).not.toThrow();
  });
});

describe('the footprint check and its alarm', () => {
  it('tells the sweep the central bus, so each child checks its account-region’s forwarding rule', () => {
    const { template } = synthesizeOrg();
    const [busId] = findResource(template, 'AWS::Events::EventBus', 'GuardCentralEventBus');
    const [, sweep] = findResource(template, 'AWS::Lambda::Function', 'GuardSweepFunction');
    expect(sweep.Environment).toMatchObject({
      Variables: { CENTRAL_EVENT_BUS_ARN: { 'Fn::GetAtt': [busId, 'Arn'] } },
    });
    for (const prefix of ['GuardGuardrailFunction', 'GuardScopeFunction']) {
      const [, fn] = findResource(template, 'AWS::Lambda::Function', prefix);
      expect(JSON.stringify(fn.Environment)).not.toContain('CENTRAL_EVENT_BUS_ARN');
    }
  });

  it('lets the sweep read, in its own account, the forwarding rule in any Region and no other rule', () => {
    const { template } = synthesizeOrg();
    const events = allowedPairs(template, roleId(template, 'GuardSweepRole')).filter((pair) =>
      pair.startsWith('events:'),
    );
    expect(events).toEqual([
      `events:DescribeRule on arn:<AWS::Partition>:events:*:<AWS::AccountId>:rule/${FORWARDING_RULE_NAME}`,
      `events:ListTargetsByRule on arn:<AWS::Partition>:events:*:<AWS::AccountId>:rule/${FORWARDING_RULE_NAME}`,
    ]);
  });

  it('alarms on unguarded account-regions, notifying the alarm topic', () => {
    const { guard, template } = synthesizeOrg();
    const alarm = guard.alarmsByName?.unguardedAccountRegions;
    expect(alarm).toBeDefined();
    const [, properties] = findResource(
      template,
      'AWS::CloudWatch::Alarm',
      'GuardUnguardedAccountRegionsAlarm',
    );
    expect(properties).toMatchObject({
      Namespace: 'EcrImmutabilityGuard',
      MetricName: UNGUARDED_METRIC,
      Dimensions: [{ Name: 'service', Value: 'ecr-immutability-guard' }],
      Statistic: 'Sum',
      Period: 3600,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [expect.anything()],
    });
    // A single account has no member forwarding rules to check.
    const single = synthesize({ alarmEmail: 'ops@example.com' }).template;
    expect(JSON.stringify(single.toJSON())).not.toContain(UNGUARDED_METRIC);
  });
});

describe('the roles EventBridge assumes', () => {
  /** Every role of a template a service principal of EventBridge may assume, with its trust statement. */
  const eventsRoles = (template: Record<string, unknown>) =>
    Object.entries(
      (template.Resources ?? {}) as Record<string, { Type: string; Properties?: Record<string, unknown> }>,
    )
      .filter(
        ([, resource]) =>
          resource.Type === 'AWS::IAM::Role' &&
          JSON.stringify(resource.Properties?.AssumeRolePolicyDocument).includes('events.amazonaws.com'),
      )
      .map(([id, resource]) => [id, JSON.stringify(resource.Properties?.AssumeRolePolicyDocument)] as const);

  it('carry aws:SourceAccount and aws:SourceArn conditions, in the central and the member templates', () => {
    const { template, guard } = synthesizeOrg();
    const found = [
      ...eventsRoles(template.toJSON()),
      ...eventsRoles(JSON.parse(guard.memberTemplateBody)),
      ...eventsRoles(JSON.parse(guard.memberForwardingTemplateBody)),
    ];
    expect(found.map(([id]) => id.replace(/[0-9A-F]{8}$/, ''))).toEqual([
      'GuardSweepScheduleRole',
      'MemberForwardingRole',
      'MemberForwardingRole',
    ]);
    for (const [, trust] of found) {
      expect(trust).toContain('"aws:SourceAccount":{"Ref":"AWS::AccountId"}');
      expect(trust).toContain('"aws:SourceArn":');
    }
  });
});

describe('the China and GovCloud partitions', () => {
  it.each([
    ['cn-north-1', ['cn-north-1', 'cn-northwest-1'], 'aws-cn', 'cn-northwest-1'],
    ['us-gov-west-1', ['us-gov-east-1'], 'aws-us-gov', 'us-gov-east-1'],
  ])(
    'fail synthesis in %s when a member Region is another one, saying why and what to do',
    (region, regions, partition, other) => {
      expect(() =>
        synthesizeOrg({ stackSet: { ...STACK_SET, regions } }, { account: '111111111111', region }),
      ).toThrow(
        `stackSet.regions: ${other}: in the ${partition} partition EventBridge cannot forward events to a bus in another Region, so every member Region must be the central stack's Region (${region}); deploy one central stack per Region there`,
      );
    },
  );

  it('accept the central Region alone there, and any Regions elsewhere', () => {
    expect(() =>
      synthesizeOrg(
        { stackSet: { ...STACK_SET, regions: ['cn-north-1'] } },
        { account: '111111111111', region: 'cn-north-1' },
      ),
    ).not.toThrow();
    expect(() =>
      synthesizeOrg(
        { stackSet: { ...STACK_SET, regions: ['eu-west-1', 'us-east-1'] } },
        { account: '111111111111', region: 'eu-west-1' },
      ),
    ).not.toThrow();
  });

  it('fail synthesis of an environment-agnostic stack on two Regions of such a partition', () => {
    expect(() =>
      synthesizeOrg({ stackSet: { ...STACK_SET, regions: ['cn-north-1', 'cn-northwest-1'] } }),
    ).toThrow('in the aws-cn partition EventBridge cannot forward events to a bus in another Region');
  });

  it('check at deployment what synthesis cannot: every member Region is the stack’s there', () => {
    const app = newApp();
    const stack = new EcrImmutabilityGuardOrgStack(app, 'Central', {
      guard: { bundleDir: stubBundles(), alarmEmail: 'ops@example.com' },
    });
    const rules: Record<string, unknown> = Template.fromStack(stack).toJSON().Rules;
    const forwardable = Object.entries(rules).filter(([id]) =>
      id.startsWith('GuardMemberRegionsForwardable'),
    );
    expect(forwardable).toHaveLength(1);
    expect(forwardable[0]?.[1]).toMatchObject({
      RuleCondition: {
        'Fn::Or': [
          { 'Fn::Equals': [{ Ref: 'AWS::Partition' }, 'aws-cn'] },
          { 'Fn::Equals': [{ Ref: 'AWS::Partition' }, 'aws-us-gov'] },
        ],
      },
      Assertions: [
        {
          Assert: { 'Fn::EachMemberEquals': [{ Ref: 'MemberRegions' }, { Ref: 'AWS::Region' }] },
          AssertDescription: expect.stringContaining('cannot forward events to a bus in another Region'),
        },
      ],
    });
    // A stack with a known Region and literal member Regions was checked at synthesis: no rule.
    const known = synthesizeOrg({}, { account: '111111111111', region: 'eu-west-1' }).template.toJSON();
    expect(JSON.stringify(known.Rules ?? {})).not.toContain('MemberRegionsForwardable');
  });
});

describe('the parts shared with the single-account construct', () => {
  const single = synthesize({ alarmEmail: 'ops@example.com' }).template;
  const central = synthesizeOrg().template;
  const without = (properties: Record<string, unknown>, ...keys: string[]) =>
    Object.fromEntries(Object.entries(properties).filter(([key]) => !keys.includes(key)));

  it.each(['GuardGuardrailFunction', 'GuardSweepFunction'])('configure %s the same way', (prefix) => {
    const [, a] = findResource(single, 'AWS::Lambda::Function', prefix);
    const [, b] = findResource(central, 'AWS::Lambda::Function', prefix);
    // Organisation mode adds its variables; code and role are each stack's own.
    expect(without(b, 'Code', 'Role', 'Environment')).toEqual(without(a, 'Code', 'Role', 'Environment'));
    const variables = (fn: Record<string, unknown>) => JSON.parse(JSON.stringify(fn.Environment)).Variables;
    expect(variables(b)).toMatchObject(variables(a));
  });

  it.each([
    ['AWS::SQS::Queue', 'GuardDeadLetterQueue'],
    ['AWS::Lambda::EventInvokeConfig', 'GuardGuardrailFunctionEventInvokeConfig'],
  ])('make the same %s', (type, prefix) => {
    expect(findResource(central, type, prefix)[1]).toEqual(findResource(single, type, prefix)[1]);
  });

  it('alarm on the guardrail rule under the names its metrics carry once deployed: the bus’s, and the rule’s own', () => {
    // The physical names CloudFormation would give the bus and the rules (they have no Name property).
    const generated = (template: Template) =>
      Object.fromEntries(
        Object.entries(resources(template))
          .filter(([, resource]) => ['AWS::Events::EventBus', 'AWS::Events::Rule'].includes(resource.Type))
          .map(([id]) => [id, `Central-${id.slice(0, 20)}-1A2B3C4D5E6F`]),
      );
    const [busId] = findResource(central, 'AWS::Events::EventBus', 'GuardCentralEventBus');
    const [ruleId] = findResource(central, 'AWS::Events::Rule', 'GuardGuardrailRule');
    const names = generated(central);
    // EventBridge reports a custom bus's rule under EventBusName and RuleName, the rule's own name
    // (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html).
    for (const prefix of [
      'GuardGuardrailRuleFailedInvocationsAlarm',
      'GuardGuardrailRuleDeadLetterFailuresAlarm',
    ]) {
      const [, alarm] = findResource(central, 'AWS::CloudWatch::Alarm', prefix);
      expect(deployedValue(alarm.Dimensions, central, names)).toEqual([
        { Name: 'EventBusName', Value: deployedValue({ Ref: busId }, central, names) },
        { Name: 'RuleName', Value: names[ruleId] },
      ]);
    }
    // The single-account rule is on the default bus: RuleName alone, its name.
    const [singleRuleId] = findResource(single, 'AWS::Events::Rule', 'GuardGuardrailRule');
    const [, alarm] = findResource(
      single,
      'AWS::CloudWatch::Alarm',
      'GuardGuardrailRuleFailedInvocationsAlarm',
    );
    expect(deployedValue(alarm.Dimensions, single, generated(single))).toEqual([
      { Name: 'RuleName', Value: generated(single)[singleRuleId] },
    ]);
  });

  it('alarm on the organisation sweep and its heartbeat', () => {
    const [machineId] = findResource(central, 'AWS::StepFunctions::StateMachine', 'GuardOrgSweepWorkflow');
    for (const prefix of ['GuardSweepFailedAlarm', 'GuardSweepHeartbeatAlarm']) {
      const [, alarm] = findResource(central, 'AWS::CloudWatch::Alarm', prefix);
      expect(alarm.Dimensions).toEqual([{ Name: 'StateMachineArn', Value: { Ref: machineId } }]);
    }
  });
});

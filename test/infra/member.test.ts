/**
 * The member stack (infra/member-stack.ts): the member role trusts only the central roles inside the
 * organisation and grants exactly the ECR actions the core declares; the forwarding rule carries the
 * guardrail's own pattern to the central bus; and the template is one a StackSet can deploy (no assets,
 * no bootstrap resources, small) that cdk-nag passes.
 */
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { guardrailEventPattern } from '../../infra/guardrail-event-pattern.ts';
import { EcrImmutabilityGuardMember, type EcrImmutabilityGuardMemberProps } from '../../infra/member.ts';
import { EcrImmutabilityGuardMemberStack, type MemberStackSettings } from '../../infra/member-stack.ts';
import { requiredEcrActions } from '../../lib/ecr.ts';
import { attachedStatements, cdkJsonContext, findResource, resources } from './helpers.ts';
import { nagFindings } from './nag-helpers.ts';

function synthesizeMember(member: MemberStackSettings = {}) {
  const app = new App({
    context: cdkJsonContext(),
    outdir: mkdtempSync(path.join(tmpdir(), 'ecr-guard-member-out-')),
  });
  const stack = new EcrImmutabilityGuardMemberStack(app, 'EcrImmutabilityGuardMemberStack', { member });
  return { app, stack, template: Template.fromStack(stack) };
}

/** The statements of every policy attached to the role with this logical ID prefix. */
function policyStatementsOf(template: Template, roleIdPrefix: string): unknown[] {
  return attachedStatements(template, findResource(template, 'AWS::IAM::Role', roleIdPrefix)[0]);
}

const REPOSITORIES_IN_ANY_REGION = 'arn:<AWS::Partition>:ecr:*:<AWS::AccountId>:repository/*';

describe('the member role', () => {
  it('is trusted only by the central roles, inside the organisation', () => {
    const [, role] = findResource(synthesizeMember().template, 'AWS::IAM::Role', 'MemberMemberRole');
    expect(role.RoleName).toBe('EcrImmutabilityGuardMember');
    expect(role.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 'sts:AssumeRole',
          Principal: { AWS: { Ref: 'CentralRoleArns' } },
          Condition: { StringEquals: { 'aws:PrincipalOrgID': { Ref: 'OrganizationId' } } },
        },
      ],
    });
  });

  it('also requires the external id when one is given, under the name given', () => {
    const [, role] = findResource(
      synthesizeMember({ memberExternalId: 'guard-ext-1', memberRoleName: 'Guard' }).template,
      'AWS::IAM::Role',
      'MemberMemberRole',
    );
    expect(role.RoleName).toBe('Guard');
    expect(role.AssumeRolePolicyDocument).toMatchObject({
      Statement: [
        {
          Condition: {
            StringEquals: {
              'aws:PrincipalOrgID': { Ref: 'OrganizationId' },
              'sts:ExternalId': 'guard-ext-1',
            },
          },
        },
      ],
    });
  });

  it.each([
    ['the defaults', {}, false],
    ['exemption tags', { tagExemptions: true }, false],
    ['template checks', { checkCreationTemplates: true }, true],
  ] as const)('grants exactly the declared ECR actions with %s', (_name, settings, templates) => {
    const features = { tagExemptions: 'tagExemptions' in settings, creationTemplates: templates };
    const actions = requiredEcrActions(features);
    const registry = ['ecr:DescribeRepositoryCreationTemplates', 'ecr:UpdateRepositoryCreationTemplate'];
    const expected: unknown[] = [
      {
        Sid: 'EcrRepositories',
        Effect: 'Allow',
        Action: actions.filter((action) => !registry.includes(action)),
        Resource: REPOSITORIES_IN_ANY_REGION,
      },
    ];
    if (templates)
      expected.push({ Sid: 'EcrRegistrySettings', Effect: 'Allow', Action: registry, Resource: '*' });
    expect(policyStatementsOf(synthesizeMember(settings).template, 'MemberMemberRole')).toEqual(expected);
  });

  it('is created only by the stack instance in the role Region (IAM is global to an account)', () => {
    const { template } = synthesizeMember({ checkCreationTemplates: true });
    expect(template.toJSON().Conditions).toEqual({
      CreatesMemberRole: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, { Ref: 'MemberRoleRegion' }] },
    });
    const conditional = Object.entries(template.toJSON().Resources as Record<string, { Condition?: string }>)
      .filter(([, resource]) => resource.Condition === 'CreatesMemberRole')
      .map(([id]) => id.replace(/[0-9A-F]{8}$/, ''));
    expect(conditional.sort()).toEqual([
      'MemberEcrRegistryPolicy',
      'MemberEcrRepositoriesPolicy',
      'MemberMemberRole',
    ]);
  });

  it('keeps to the stack Region when the construct is used alone', () => {
    const stack = new Stack(new App());
    new EcrImmutabilityGuardMember(stack, 'Member', {
      centralRoleArns: ['arn:aws:iam::111111111111:role/guardrail'],
      organizationId: 'o-abcdef1234',
      centralEventBusArn: 'arn:aws:events:eu-west-1:111111111111:event-bus/ecr-guard',
    });
    const [statement] = policyStatementsOf(Template.fromStack(stack), 'MemberMemberRole');
    expect(statement).toMatchObject({
      Resource: 'arn:<AWS::Partition>:ecr:<AWS::Region>:<AWS::AccountId>:repository/*',
    });
  });
});

describe('the member props', () => {
  const valid: EcrImmutabilityGuardMemberProps = {
    centralRoleArns: ['arn:aws:iam::111111111111:role/guardrail'],
    organizationId: 'o-abcdef1234',
    centralEventBusArn: 'arn:aws:events:eu-west-1:111111111111:event-bus/ecr-guard',
  };
  it.each([
    [
      'a user ARN as a role',
      { centralRoleArns: ['arn:aws:iam::111111111111:user/bob'] },
      /centralRoleArns: "arn:aws:iam::111111111111:user\/bob" is not an IAM role ARN/,
    ],
    ['no role at all', { centralRoleArns: [] }, /centralRoleArns: must name at least one role ARN/],
    [
      'an account id as organisation',
      { organizationId: '111111111111' },
      /organizationId: "111111111111" is not an organisation id/,
    ],
    [
      'a bus name instead of an ARN',
      { centralEventBusArn: 'ecr-guard' },
      /centralEventBusArn: "ecr-guard" is not an event bus ARN/,
    ],
    ['a role name with a space', { memberRoleName: 'my role' }, /memberRoleName: "my role"/],
  ])('are refused naming what was written: %s', (_name, change, message) => {
    expect(
      () => new EcrImmutabilityGuardMember(new Stack(new App()), 'Member', { ...valid, ...change }),
    ).toThrow(message);
  });
});

describe('the forwarding rule', () => {
  it('sends the guardrail pattern to the central bus through the events role', () => {
    const { template } = synthesizeMember();
    const [, rule] = findResource(template, 'AWS::Events::Rule', 'MemberForwardingRule');
    const [roleId, role] = findResource(template, 'AWS::IAM::Role', 'MemberForwardingRole');
    expect(rule.EventPattern).toEqual(guardrailEventPattern());
    expect(rule.EventBusName).toBeUndefined();
    expect(rule.Targets).toEqual([
      { Id: 'Target0', Arn: { Ref: 'CentralEventBusArn' }, RoleArn: { 'Fn::GetAtt': [roleId, 'Arn'] } },
    ]);
    expect(role.AssumeRolePolicyDocument).toMatchObject({
      Statement: [{ Action: 'sts:AssumeRole', Principal: { Service: 'events.amazonaws.com' } }],
    });
  });

  it('may only put events on the central bus', () => {
    expect(policyStatementsOf(synthesizeMember().template, 'MemberForwardingRole')).toEqual([
      { Effect: 'Allow', Action: 'events:PutEvents', Resource: '<CentralEventBusArn>' },
    ]);
  });
});

describe('the member template', () => {
  it('fits a StackSet: no assets, no Lambda, no bootstrap resources, well under 1 MB', () => {
    const { app, template } = synthesizeMember({ checkCreationTemplates: true, memberExternalId: 'x1' });
    const assembly = app.synth();
    const artifact = assembly.getStackByName('EcrImmutabilityGuardMemberStack');
    expect(artifact.assets).toEqual([]);
    const files = readdirSync(assembly.directory);
    expect(files.filter((file) => file.startsWith('asset.'))).toEqual([]);
    const types = new Set(Object.values(resources(template)).map((resource) => resource.Type));
    expect([...types].sort()).toEqual(['AWS::Events::Rule', 'AWS::IAM::Policy', 'AWS::IAM::Role']);
    const json = template.toJSON();
    expect(Object.keys(json.Parameters).sort()).toEqual([
      'CentralEventBusArn',
      'CentralRoleArns',
      'MemberRoleRegion',
      'OrganizationId',
    ]);
    expect(json.Rules).toBeUndefined();
    const size = statSync(path.join(assembly.directory, artifact.templateFile)).size;
    // StackSet templates must be at most 1 MB (from S3); this one is a few kilobytes.
    expect(size).toBeLessThan(51_200);
    expect(readFileSync(path.join(assembly.directory, artifact.templateFile), 'utf8')).not.toMatch(
      /AssetParameters|cdk-bootstrap|aws:asset/,
    );
  });

  it.each([
    ['the defaults', {}],
    ['every option', { checkCreationTemplates: true, tagExemptions: true, memberExternalId: 'x1' }],
  ])(
    'leaves no unacknowledged cdk-nag finding with %s',
    (_name, settings) => {
      const { app, stack } = synthesizeMember(settings);
      expect(nagFindings(app, stack)).toEqual([]);
    },
    120_000,
  );
});

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
import {
  EcrImmutabilityGuardMember,
  type EcrImmutabilityGuardMemberProps,
  type MemberStackSettings,
} from '../../infra/member.ts';
import { EcrImmutabilityGuardMemberStack, type MemberParts } from '../../infra/member-stack.ts';
import { FORWARDING_ROLE_NAME_PREFIX, FORWARDING_RULE_NAME } from '../../lib/forwarding.ts';
import { requiredEcrActions } from '../../lib/iam-actions.ts';
import {
  attachedStatements,
  cdkJsonContext,
  eventsRuleTrust,
  findResource,
  rendered,
  renderIntrinsics,
  resources,
} from './helpers.ts';
import { nagFindings } from './nag-helpers.ts';

function synthesizeMember(member: MemberStackSettings = {}, parts?: MemberParts) {
  const app = new App({
    context: cdkJsonContext(),
    outdir: mkdtempSync(path.join(tmpdir(), 'ecr-guard-member-out-')),
  });
  const stack = new EcrImmutabilityGuardMemberStack(app, 'EcrImmutabilityGuardMemberStack', {
    member,
    ...(parts === undefined ? {} : { parts }),
  });
  return { app, stack, template: Template.fromStack(stack) };
}

/** The statements of every policy attached to the role with this logical ID prefix. */
function policyStatementsOf(template: Template, roleIdPrefix: string): unknown[] {
  return attachedStatements(template, findResource(template, 'AWS::IAM::Role', roleIdPrefix)[0]);
}

const REPOSITORIES_IN_ANY_REGION = 'arn:<AWS::Partition>:ecr:*:<AWS::AccountId>:repository/*';
/** The member role may read the forwarding rule, that one rule, in any Region of its account. */
const FORWARDING_RULE_READ = {
  Sid: 'ForwardingRuleRead',
  Effect: 'Allow',
  Action: ['events:DescribeRule', 'events:ListTargetsByRule'],
  Resource: `arn:<AWS::Partition>:events:*:<AWS::AccountId>:rule/${FORWARDING_RULE_NAME}`,
};

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
  ] as const)(
    'grants exactly the declared ECR actions, and the read of the forwarding rule, with %s',
    (_name, settings, templates) => {
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
      expected.push(FORWARDING_RULE_READ);
      expect(policyStatementsOf(synthesizeMember(settings).template, 'MemberMemberRole')).toEqual(expected);
    },
  );

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
      'MemberForwardingRuleReadPolicy',
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
  it('sends the guardrail pattern to the central bus through the events role, retried for up to a day', () => {
    const { template } = synthesizeMember();
    const [, rule] = findResource(template, 'AWS::Events::Rule', 'MemberForwardingRule');
    const [roleId] = findResource(template, 'AWS::IAM::Role', 'MemberForwardingRole');
    expect(rule.Name).toBe(FORWARDING_RULE_NAME);
    expect(rule.EventPattern).toEqual(guardrailEventPattern());
    expect(rule.EventBusName).toBeUndefined();
    expect(rule.Targets).toEqual([
      {
        Id: 'Target0',
        Arn: { Ref: 'CentralEventBusArn' },
        RoleArn: { 'Fn::GetAtt': [roleId, 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
      },
    ]);
  });

  it('has an events role of a name the central bus admits, trusted by EventBridge for this rule of this account only', () => {
    const [, role] = findResource(synthesizeMember().template, 'AWS::IAM::Role', 'MemberForwardingRole');
    expect(renderIntrinsics(role.RoleName)).toBe(`${FORWARDING_ROLE_NAME_PREFIX}-<AWS::Region>`);
    expect(rendered(role.AssumeRolePolicyDocument)).toEqual(eventsRuleTrust(FORWARDING_RULE_NAME));
  });

  it('may only put events on the central bus', () => {
    expect(policyStatementsOf(synthesizeMember().template, 'MemberForwardingRole')).toEqual([
      { Effect: 'Allow', Action: 'events:PutEvents', Resource: '<CentralEventBusArn>' },
    ]);
  });
});

describe('the member templates of the two StackSets', () => {
  const logicalIds = (template: Template) => Object.keys(resources(template)).sort();
  const whole = synthesizeMember({ checkCreationTemplates: true }).template;

  it('has the role alone in the role template: no condition, no forwarding, only the role’s parameters', () => {
    const { template } = synthesizeMember({ checkCreationTemplates: true }, 'role');
    const json = template.toJSON();
    expect(Object.keys(json.Parameters).sort()).toEqual(['CentralRoleArns', 'OrganizationId']);
    expect(json.Conditions).toBeUndefined();
    expect(
      Object.values(resources(template))
        .map((resource) => resource.Type)
        .sort(),
    ).toEqual(['AWS::IAM::Policy', 'AWS::IAM::Policy', 'AWS::IAM::Policy', 'AWS::IAM::Role']);
    // The same logical IDs as the whole member's role and policies.
    expect(logicalIds(template).every((id) => logicalIds(whole).includes(id))).toBe(true);
    expect(policyStatementsOf(template, 'MemberMemberRole')).toContainEqual(FORWARDING_RULE_READ);
  });

  it('has the forwarding rule alone in the forwarding template, with the central bus its only parameter', () => {
    const { template } = synthesizeMember({}, 'forwarding');
    const json = template.toJSON();
    expect(Object.keys(json.Parameters)).toEqual(['CentralEventBusArn']);
    expect(json.Conditions).toBeUndefined();
    const types = Object.values(resources(template)).map((resource) => resource.Type);
    expect(types.sort()).toEqual(['AWS::Events::Rule', 'AWS::IAM::Policy', 'AWS::IAM::Role']);
    expect(JSON.stringify(json)).not.toContain('EcrImmutabilityGuardMember"');
    expect(logicalIds(template).every((id) => logicalIds(whole).includes(id))).toBe(true);
  });

  it.each(['role', 'forwarding'] as const)(
    'leaves no unacknowledged cdk-nag finding in the %s template',
    (parts) => {
      const { app, stack } = synthesizeMember({ checkCreationTemplates: true, tagExemptions: true }, parts);
      expect(nagFindings(app, stack)).toEqual([]);
    },
    120_000,
  );
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

/**
 * Least privilege, exactly: each role's statements compared in full, and the ECR actions kept equal
 * to `requiredEcrActions()` of lib/iam-actions.ts for every feature combination.
 */
import { Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { describe, expect, it } from 'vitest';
import { ecrPolicyStatements, REGISTRY_LEVEL_ECR_ACTIONS } from '../../infra/ecr-permissions.ts';
import { AUDIT_EVENT_ACTIONS, type EcrFeatures, requiredEcrActions } from '../../lib/iam-actions.ts';
import {
  allowedPairs,
  eventsRuleTrust,
  findResource,
  rendered,
  renderIntrinsics,
  resources,
  roleStatements,
  synthesize,
} from './helpers.ts';

const REPOSITORIES = 'arn:<AWS::Partition>:ecr:<AWS::Region>:<AWS::AccountId>:repository/*';

function roleId(template: ReturnType<typeof synthesize>['template'], prefix: string): string {
  return findResource(template, 'AWS::IAM::Role', prefix)[0];
}

function ecrPairs(actions: readonly string[], resource: string): string[] {
  return actions.map((action) => `${action} on ${resource}`);
}

describe('IAM', () => {
  it.each([
    { tagExemptions: false, creationTemplates: false },
    { tagExemptions: true, creationTemplates: false },
    { tagExemptions: false, creationTemplates: true },
    { tagExemptions: true, creationTemplates: true },
  ] satisfies EcrFeatures[])('grants exactly requiredEcrActions(%o), each on its resource', (features) => {
    const stack = new Stack();
    const statements = ecrPolicyStatements(stack, features).map((statement) =>
      stack.resolve(statement.toStatementJson()),
    );
    const granted = statements.flatMap((statement: { Action: string | string[] }) =>
      Array.isArray(statement.Action) ? statement.Action : [statement.Action],
    );
    expect([...granted].sort()).toEqual(requiredEcrActions(features));
    for (const statement of statements) {
      const actions: string[] = Array.isArray(statement.Action) ? statement.Action : [statement.Action];
      const resource = renderIntrinsics(statement.Resource);
      if (actions.every((action) => REGISTRY_LEVEL_ECR_ACTIONS.has(action))) {
        // Creation templates are registry-level: the Service Authorization Reference defines no resource type.
        expect(resource).toBe('*');
      } else {
        expect(actions.some((action) => REGISTRY_LEVEL_ECR_ACTIONS.has(action))).toBe(false);
        expect(resource).toBe(REPOSITORIES);
      }
    }
  });

  describe.each([
    ['defaults', {}, { tagExemptions: false, creationTemplates: false }],
    [
      'tag exemptions',
      { exemptTagKey: 'ecr-guard:exempt' },
      { tagExemptions: true, creationTemplates: false },
    ],
  ] as const)('with %s', (_name, props, features) => {
    const { template } = synthesize(props);
    const ecr = ecrPairs(requiredEcrActions(features), REPOSITORIES);

    it('gives the guardrail its log group, the dead-letter queue and the ECR actions, nothing else', () => {
      const [logs] = findResource(template, 'AWS::Logs::LogGroup', 'GuardGuardrailLogs');
      const [queue] = findResource(template, 'AWS::SQS::Queue', 'GuardDeadLetterQueue');
      expect(allowedPairs(template, roleId(template, 'GuardGuardrailRole'))).toEqual(
        [
          `logs:CreateLogStream on <${logs}.Arn>`,
          `logs:PutLogEvents on <${logs}.Arn>`,
          `sqs:GetQueueAttributes on <${queue}.Arn>`,
          `sqs:GetQueueUrl on <${queue}.Arn>`,
          `sqs:SendMessage on <${queue}.Arn>`,
          ...ecr,
        ].sort(),
      );
    });

    it('gives the sweep its log group and the ECR actions, nothing else', () => {
      const [logs] = findResource(template, 'AWS::Logs::LogGroup', 'GuardSweepLogs');
      expect(allowedPairs(template, roleId(template, 'GuardSweepRole'))).toEqual(
        [`logs:CreateLogStream on <${logs}.Arn>`, `logs:PutLogEvents on <${logs}.Arn>`, ...ecr].sort(),
      );
    });
  });

  it('grants the creation-template actions to the sweep only, on *, when the feature is on', () => {
    const { template } = synthesize({ checkCreationTemplates: true });
    const sweep = allowedPairs(template, roleId(template, 'GuardSweepRole'));
    const guardrail = allowedPairs(template, roleId(template, 'GuardGuardrailRole'));
    for (const action of REGISTRY_LEVEL_ECR_ACTIONS) {
      expect(sweep).toContain(`${action} on *`);
      expect(guardrail.some((pair) => pair.startsWith(`${action} `))).toBe(false);
    }
    const without = synthesize().template;
    for (const action of REGISTRY_LEVEL_ECR_ACTIONS) {
      expect(
        allowedPairs(without, roleId(without, 'GuardSweepRole')).some((pair) =>
          pair.startsWith(`${action} `),
        ),
      ).toBe(false);
    }
  });

  it('grants events:PutEvents on the audit bus only, and only when one is set', () => {
    const { template } = synthesize((stack) => ({
      auditEventBus: events.EventBus.fromEventBusArn(
        stack,
        'Audit',
        'arn:aws:events:eu-west-1:111122223333:event-bus/security-audit',
      ),
    }));
    for (const role of ['GuardGuardrailRole', 'GuardSweepRole']) {
      const putEvents = roleStatements(template, roleId(template, role)).filter((statement) =>
        statement.actions.some((action) => action.startsWith('events:')),
      );
      expect(putEvents).toEqual([
        {
          effect: 'Allow',
          actions: [...AUDIT_EVENT_ACTIONS],
          resources: ['arn:aws:events:eu-west-1:111122223333:event-bus/security-audit'],
        },
      ]);
    }
    const { template: without } = synthesize();
    for (const role of ['GuardGuardrailRole', 'GuardSweepRole']) {
      expect(
        allowedPairs(without, roleId(without, role)).filter((pair) => pair.startsWith('events:')),
      ).toEqual([]);
    }
  });

  it('lets the state machine invoke only the sweep function (and write its logs and traces)', () => {
    const { template } = synthesize();
    const [sweep] = findResource(template, 'AWS::Lambda::Function', 'GuardSweepFunction');
    const statements = roleStatements(template, roleId(template, 'GuardSweepWorkflowStateMachineRole'));
    expect(statements).toContainEqual({
      effect: 'Allow',
      actions: ['lambda:InvokeFunction'],
      resources: [`<${sweep}.Arn>`, `<${sweep}.Arn>:*`],
    });
    const wildcard = statements.filter((statement) => statement.resources.includes('*'));
    for (const statement of wildcard) {
      expect(
        statement.actions.every((action) => action.startsWith('logs:') || action.startsWith('xray:')),
      ).toBe(true);
    }
  });

  it('lets EventBridge assume the schedule’s role only for that rule of this account (confused deputy)', () => {
    const { template } = synthesize();
    const [ruleId, rule] = findResource(template, 'AWS::Events::Rule', 'GuardSweepSchedule');
    const [roleLogicalId, role] = findResource(template, 'AWS::IAM::Role', 'GuardSweepScheduleRole');
    // A name fixed at synthesis, so the role can name the rule without depending on it.
    expect(rule.Name).toMatch(/^[\w.-]{1,64}$/);
    expect(rendered(role.AssumeRolePolicyDocument)).toEqual(eventsRuleTrust(String(rule.Name)));
    // The schedule's target starts the state machine with that role, and nothing else assumes it.
    expect(rule.Targets).toEqual([
      expect.objectContaining({ RoleArn: { 'Fn::GetAtt': [roleLogicalId, 'Arn'] } }),
    ]);
    expect(
      Object.values(resources(template)).filter(
        (resource) =>
          resource.Type === 'AWS::IAM::Role' &&
          JSON.stringify(resource.Properties?.AssumeRolePolicyDocument).includes('events.amazonaws.com'),
      ),
    ).toHaveLength(1);
    expect(ruleId).toMatch(/^GuardSweepSchedule/);
  });

  it('attaches no managed policy to any role', () => {
    const { template } = synthesize({ alarmEmail: 'ops@example.com', createTrail: true });
    for (const resource of Object.values(resources(template))) {
      if (resource.Type === 'AWS::IAM::Role') expect(resource.Properties?.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('never allows a wildcard action', () => {
    const { template } = synthesize({ alarmEmail: 'ops@example.com', exemptTagKey: 'x' });
    for (const [id, resource] of Object.entries(resources(template))) {
      if (resource.Type !== 'AWS::IAM::Role') continue;
      for (const statement of roleStatements(template, id)) {
        expect(
          statement.actions.filter((action) => action.includes('*') && !action.startsWith('kms:')),
        ).toEqual([]);
      }
    }
  });
});

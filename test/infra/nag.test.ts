/**
 * cdk-nag's AWS Solutions checks on the stack in its plain and its fullest configuration, and on the
 * central organisation stack (infra/org-guard.ts): no finding is left unacknowledged, and every acknowledgement is on a resource (not the stack) with a reason.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { EcrImmutabilityGuardOrgStack } from '../../infra/stack.ts';
import { cdkJsonContext, synthesize } from './helpers.ts';
import { acknowledgements, nagFindings } from './nag-helpers.ts';

describe('cdk-nag AWS Solutions checks', () => {
  it.each([
    ['the defaults', {}],
    ['every option', { fullest: true }],
    ['organisation mode', { organization: true }],
  ])(
    'leave no unacknowledged finding with %s',
    (_name, options) => {
      const { app, stack } = synthesize((scope) =>
        'fullest' in options
          ? {
              alarmEmail: 'ops@example.com',
              createTrail: true,
              exemptTagKey: 'ecr-guard:exempt',
              auditEventBus: events.EventBus.fromEventBusName(scope, 'Audit', 'audit'),
            }
          : 'organization' in options
            ? { alarmEmail: 'ops@example.com', organization: true, organizationalUnits: ['ou-ab12-cdef3456'] }
            : {},
      );
      expect(nagFindings(app, stack)).toEqual([]);
    },
    // The first synthesis loads cdk-nag and every aws-cdk-lib module it inspects: slow on a loaded machine.
    120_000,
  );

  it('acknowledges findings on resources only, each with a written reason', () => {
    const { stack } = synthesize({ createTrail: true });
    const acknowledged = acknowledgements(stack);
    const ids = acknowledged.map((entry) =>
      entry.id.replace(/GuardSweepFunction[0-9A-F]{8}\b/, 'GuardSweepFunction<hash>'),
    );
    expect(ids.sort()).toEqual(
      [
        'AwsSolutions-IAM5[Resource::*]',
        'AwsSolutions-IAM5[Resource::<GuardSweepFunction<hash>.Arn>:*]',
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecr:<AWS::Region>:<AWS::AccountId>:repository/*]',
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecr:<AWS::Region>:<AWS::AccountId>:repository/*]',
        'AwsSolutions-S1',
        'AwsSolutions-SQS3',
      ].sort(),
    );
    for (const entry of acknowledged) {
      expect(entry.path).not.toBe(stack.node.path);
      expect(String(entry.reason).length).toBeGreaterThan(40);
    }
  });

  it('still reports a finding nobody acknowledged (the checks are live)', () => {
    const { app, stack } = synthesize();
    // A queue added next to the construct, with neither a DLQ nor TLS enforcement, is flagged.
    new sqs.Queue(stack, 'Unchecked');
    const report = new AwsSolutionsChecks(app).validateScope(stack);
    expect(report.violations.map((violation) => violation.ruleName)).toEqual(
      expect.arrayContaining(['AwsSolutions-SQS3', 'AwsSolutions-SQS4']),
    );
  });
});

/** The central organisation stack with placeholder bundles (the scope bundle too). */
function synthesizeOrgStack(options: { fullest?: boolean } = {}) {
  const bundleDir = mkdtempSync(path.join(tmpdir(), 'ecr-guard-org-nag-'));
  for (const name of ['guardrail', 'sweep', 'scope']) {
    mkdirSync(path.join(bundleDir, name));
    writeFileSync(path.join(bundleDir, name, 'index.mjs'), 'export const handler = async () => ({});\n');
  }
  const app = new App({
    context: cdkJsonContext(),
    outdir: mkdtempSync(path.join(tmpdir(), 'ecr-guard-org-nag-out-')),
  });
  const stack = new EcrImmutabilityGuardOrgStack(app, 'EcrImmutabilityGuardOrgStack', {
    guard: (scope) => ({
      bundleDir,
      alarmEmail: 'ops@example.com',
      ...(options.fullest === true
        ? {
            organizationalUnits: ['ou-ab12-cdef3456'],
            exemptTagKey: 'ecr-guard:exempt',
            checkCreationTemplates: true,
            activeTracing: true,
            auditEventBus: events.EventBus.fromEventBusName(scope, 'Audit', 'audit'),
          }
        : {}),
    }),
  });
  return { app, stack };
}

describe('cdk-nag AWS Solutions checks on the central organisation stack', () => {
  it.each([
    ['the defaults', {}],
    ['every option', { fullest: true }],
  ])(
    'leave no unacknowledged finding with %s',
    (_name, options) => {
      const { app, stack } = synthesizeOrgStack(options);
      expect(nagFindings(app, stack)).toEqual([]);
    },
    120_000,
  );

  it('acknowledges findings on resources only, each with a written reason', () => {
    const { stack } = synthesizeOrgStack();
    const acknowledged = acknowledgements(stack);
    const ids = acknowledged.map((entry) =>
      entry.id
        .replace(/(Guard\w+(?:Function|Bucket))[0-9A-F]{8}\b/, '$1<hash>')
        // The state machine's name, as CDK's Distributed Map grant spells it (Fn::Select of its ARN).
        .replace(/execution:\{"Fn::Select".*?\}\]\}\]\}/, 'execution:<machine name>'),
    );
    expect(ids.sort()).toEqual(
      [
        'AwsSolutions-IAM5[Resource::*]',
        'AwsSolutions-IAM5[Resource::*]',
        // The workflow's: its bucket prefixes (state machine and scope function), the functions it
        // invokes, and the Distributed Map's child executions.
        'AwsSolutions-IAM5[Resource::<GuardResultsBucket<hash>.Arn>/results/*]',
        'AwsSolutions-IAM5[Resource::<GuardResultsBucket<hash>.Arn>/results/*]',
        'AwsSolutions-IAM5[Resource::<GuardResultsBucket<hash>.Arn>/scope/*]',
        'AwsSolutions-IAM5[Resource::<GuardResultsBucket<hash>.Arn>/scope/*]',
        'AwsSolutions-IAM5[Resource::<GuardScopeFunction<hash>.Arn>:*]',
        'AwsSolutions-IAM5[Resource::<GuardSweepFunction<hash>.Arn>:*]',
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecr:*:<AWS::AccountId>:repository/*]',
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecr:*:<AWS::AccountId>:repository/*]',
        // The sweep reads the forwarding rule of its own account in every Region (lib/forwarding.ts).
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:events:*:<AWS::AccountId>:rule/ecr-immutability-guard-forwarding]',
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::*:role/EcrImmutabilityGuardMember]',
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::*:role/EcrImmutabilityGuardMember]',
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<machine name>/*:*]',
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<machine name>:*]',
        'AwsSolutions-S1',
        'AwsSolutions-SQS3',
      ].sort(),
    );
    for (const entry of acknowledged) {
      expect(entry.path).not.toBe(stack.node.path);
      expect(String(entry.reason).length).toBeGreaterThan(40);
    }
  });
});

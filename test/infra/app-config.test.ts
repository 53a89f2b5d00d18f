/** Context settings of the app: parsed strictly, absent ones left to the construct's defaults. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { type ContextKey, guardPropsFromContext } from '../../infra/app-config.ts';

function propsFrom(context: Partial<Record<ContextKey, unknown>>) {
  const stack = new Stack(new App(), 'S');
  return guardPropsFromContext(stack, (key) => context[key]);
}

describe('the app settings from context', () => {
  it('leaves everything to the construct defaults when no context is given', () => {
    const props = propsFrom({});
    expect(Object.values(props).every((value) => value === undefined)).toBe(true);
  });

  it('parses lists, flags, levels, retention and the schedule', () => {
    const props = propsFrom({
      targetMutability: 'IMMUTABLE_WITH_EXCLUSION',
      exclusionFilters: 'latest, dev-*',
      exemptRepositories: ['sandbox/*'],
      dryRun: 'true',
      verboseAudit: false,
      logLevel: 'DEBUG',
      logRetentionDays: '30',
      schedule: 'rate(12 hours)',
      guardrailReservedConcurrency: '10',
      alarmEmail: 'ops@example.com',
      createTrail: 'true',
    });
    expect(props).toMatchObject({
      targetMutability: 'IMMUTABLE_WITH_EXCLUSION',
      exclusionFilters: ['latest', 'dev-*'],
      exemptRepositories: ['sandbox/*'],
      dryRun: true,
      verboseAudit: false,
      logLevel: 'DEBUG',
      logRetention: logs.RetentionDays.ONE_MONTH,
      guardrailReservedConcurrency: 10,
      alarmEmail: 'ops@example.com',
      createTrail: true,
    });
    const schedule = props.schedule;
    if (schedule === undefined || schedule === false) throw new Error('no schedule parsed');
    expect(schedule.expressionString).toBe('rate(12 hours)');
  });

  it.each([
    ['off', false],
    ['none', false],
  ])('turns the schedule off with %s', (value, expected) => {
    expect(propsFrom({ schedule: value }).schedule).toBe(expected);
  });

  it('imports the audit bus by name or by ARN', () => {
    expect(propsFrom({ auditEventBus: 'audit' }).auditEventBus?.eventBusName).toBe('audit');
    const byArn = propsFrom({
      auditEventBus: 'arn:aws:events:eu-west-1:111122223333:event-bus/audit',
    }).auditEventBus;
    expect(byArn?.eventBusArn).toBe('arn:aws:events:eu-west-1:111122223333:event-bus/audit');
  });

  it.each([
    [{ targetMutability: 'MUTABLE' }, /context targetMutability: expected one of/],
    [{ dryRun: 'yes' }, /context dryRun: expected true or false/],
    [{ logRetentionDays: '31' }, /not a CloudWatch Logs retention/],
    [{ schedule: 'daily' }, /context schedule/],
    [{ guardrailReservedConcurrency: '0' }, /positive integer or none/],
    [{ exemptTagKey: { a: 1 } }, /context exemptTagKey: expected a string/],
  ])('rejects %o', (context, message) => {
    expect(() => propsFrom(context)).toThrow(message);
  });
});

describe('cdk.json and the synth script', () => {
  const root = path.resolve(import.meta.dirname, '../..');
  const cdkJson: unknown = JSON.parse(readFileSync(path.join(root, 'cdk.json'), 'utf8'));
  const packageJson: unknown = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));

  it('runs the app with Node type stripping and reports nothing home', () => {
    expect(cdkJson).toMatchObject({
      app: 'node infra/app.ts',
      versionReporting: false,
      notices: false,
      context: { 'cli-telemetry': false },
    });
  });

  it('synthesizes after building, strictly, without the instance metadata service', () => {
    expect(packageJson).toMatchObject({
      scripts: { synth: 'npm run build && AWS_EC2_METADATA_DISABLED=true cdk synth --quiet --strict' },
    });
  });
});

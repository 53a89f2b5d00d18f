/** Context settings of the app: parsed strictly, absent ones left to the construct's defaults. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { CONTEXT_KEYS, guardPropsFromContext, isAppContextKey } from '../../infra/app-config.ts';
import { EcrImmutabilityGuard } from '../../infra/ecr-immutability-guard.ts';
import { LOG_RETENTION_DAYS } from '../../lib/settings.ts';
import { stubBundleDir } from './helpers.ts';

function propsFrom(context: Record<string, unknown>) {
  const stack = new Stack(new App(), 'S');
  return guardPropsFromContext(stack, context);
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
    [
      { targetMutability: 'MUTABLE' },
      /context key targetMutability: must be one of IMMUTABLE, IMMUTABLE_WITH_EXCLUSION/,
    ],
    [{ dryRun: 'maybe' }, /context key dryRun: must be true or false/],
    [{ logRetentionDays: '31' }, /context key logRetentionDays: 31 is not a CloudWatch Logs retention/],
    [{ schedule: 'daily' }, /context key schedule: must be rate\(\.\.\.\), cron\(\.\.\.\) or off/],
    [
      { guardrailReservedConcurrency: '0' },
      /context key guardrailReservedConcurrency: must be a positive integer/,
    ],
    [{ exemptTagKey: { a: 1 } }, /context key exemptTagKey: expected a string/],
    [{ sweepConcurrency: 'abc' }, /context key sweepConcurrency: must be an integer from 1 to 64/],
    [{ sweepConcurrency: '100' }, /context key sweepConcurrency: must be an integer from 1 to 64/],
    [
      { exclusionFilters: 'latest' },
      /context key exclusionFilters: must be empty unless targetMutability is/,
    ],
    [
      { targetMutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: 'bad filter!' },
      /context key exclusionFilters: 'bad filter!' is not a tag filter/,
    ],
    [{ exemptExpiryTagKey: 'until' }, /context key exemptExpiryTagKey: needs exemptTagKey to be set/],
    [
      { targetMutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: '*' },
      /context key exclusionFilters: '\*' matches every tag/,
    ],
    [{ allowedExclusions: 'latest,**' }, /context key allowedExclusions: '\*\*' matches every tag/],
    [{ logLevel: 'SILENT' }, /context key logLevel: must be one of TRACE, DEBUG, INFO, WARN, ERROR/],
  ])('rejects %o naming the key', (context, message) => {
    expect(() => propsFrom(context)).toThrow(message);
  });

  it.each([
    ['dryrun', 'dryRun'],
    ['DryRun', 'dryRun'],
    ['sweepConcurency', 'sweepConcurrency'],
    ['exclusionFilter', 'exclusionFilters'],
  ])('rejects the unknown key %s, suggesting %s', (key, suggestion) => {
    expect(() => propsFrom({ [key]: 'true' })).toThrow(
      `unknown context key ${key}; did you mean ${suggestion}?`,
    );
  });

  it('reports every unknown key and bad value at once', () => {
    expect(() => propsFrom({ dryrun: 'true', sweepConcurrency: 'abc' })).toThrow(
      /unknown context key dryrun; did you mean dryRun\?\n {2}context key sweepConcurrency: must be an integer/,
    );
  });

  it('names an unknown key without a suggestion when nothing is close', () => {
    expect(() => propsFrom({ colour: 'blue' })).toThrow(/unknown context key colour$/m);
  });

  it.each(['true', 'TRUE', '1', 'yes', 'on', true])('reads %j as true, as the functions do', (value) => {
    expect(propsFrom({ dryRun: value }).dryRun).toBe(true);
  });

  it.each(['false', '0', 'no', 'off', false])('reads %j as false', (value) => {
    expect(propsFrom({ dryRun: value }).dryRun).toBe(false);
  });

  it("leaves CDK's own keys alone: feature flags, toolkit and context-provider keys", () => {
    const root = path.resolve(import.meta.dirname, '../..');
    const cdkJson = JSON.parse(readFileSync(path.join(root, 'cdk.json'), 'utf8')) as { context: object };
    const cdkKeys = [
      ...Object.keys(cdkJson.context),
      'aws:cdk:enable-path-metadata',
      'aws:cdk:enable-asset-metadata',
      'aws:cdk:version-reporting',
      'aws:cdk:bundling-stacks',
      'aws-cdk:enableDiffNoFail',
      'acknowledged-issue-numbers',
      'availability-zones:account=123456789012:region=eu-west-1',
    ];
    expect(cdkKeys.filter(isAppContextKey)).toEqual([]);
    expect(() => propsFrom(Object.fromEntries(cdkKeys.map((key) => [key, true])))).not.toThrow();
  });

  it('reads the context of the app itself by default', () => {
    const app = new App({ context: { dryrun: 'true' } });
    expect(() => guardPropsFromContext(new Stack(app, 'S'))).toThrow(/did you mean dryRun\?/);
  });

  it('offers every key the README documents', () => {
    expect(CONTEXT_KEYS).toEqual(expect.arrayContaining(['dryRun', 'sweepConcurrency', 'auditEventBus']));
  });
});

describe('the construct props', () => {
  function synth(props: ConstructorParameters<typeof EcrImmutabilityGuard>[2]) {
    return () =>
      new EcrImmutabilityGuard(new Stack(new App(), 'S'), 'Guard', { bundleDir: stubBundleDir(), ...props });
  }

  it.each([
    [{ sweepConcurrency: 100 }, /sweepConcurrency: must be an integer from 1 to 64/],
    [{ sweepConcurrency: 2.5 }, /sweepConcurrency: must be an integer from 1 to 64/],
    [
      { targetMutability: 'IMMUTABLE_WITH_EXCLUSION' as const, exclusionFilters: ['latest', 'bad filter!'] },
      /exclusionFilters: 'bad filter!' is not a tag filter/,
    ],
    [
      { targetMutability: 'IMMUTABLE_WITH_EXCLUSION' as const },
      /exclusionFilters: IMMUTABLE_WITH_EXCLUSION needs 1 to 5/,
    ],
    [{ exclusionFilters: ['latest'] }, /exclusionFilters: must be empty unless targetMutability is/],
    [
      { targetMutability: 'IMMUTABLE_WITH_EXCLUSION' as const, exclusionFilters: ['latest', '*'] },
      /exclusionFilters: '\*' matches every tag, so IMMUTABLE_WITH_EXCLUSION with it is MUTABLE/,
    ],
    [{ allowedExclusions: ['*'] }, /allowedExclusions: '\*' matches every tag/],
    [{ exemptExpiryTagKey: 'until' }, /exemptExpiryTagKey: needs exemptTagKey to be set/],
    [{ guardrailReservedConcurrency: 0 }, /guardrailReservedConcurrency: must be a positive integer/],
    [{ exemptTagKey: '' }, /exemptTagKey: must not be empty/],
    [{ sweepSafetyMargin: Duration.minutes(20) }, /sweepSafetyMargin: must be an integer from 0 to 900000/],
  ])('fail synthesis for %o, naming the prop, as the functions would at start-up', (props, message) => {
    expect(synth(props)).toThrow(message);
  });

  it('accepts what the functions accept', () => {
    expect(
      synth({
        targetMutability: 'IMMUTABLE_WITH_EXCLUSION',
        exclusionFilters: ['latest', 'dev-*'],
        sweepConcurrency: 64,
        guardrailReservedConcurrency: false,
      }),
    ).not.toThrow();
  });

  it("knows CloudWatch Logs' retention periods", () => {
    const cdkDays = Object.values(logs.RetentionDays).filter((value) => typeof value === 'number');
    expect([...LOG_RETENTION_DAYS].sort((a, b) => a - b)).toEqual(cdkDays.sort((a, b) => a - b));
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

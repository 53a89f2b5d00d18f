/**
 * The construct props as settings: validated at synthesis by the schemas the functions use at start-up
 * (lib/settings.ts), so a value the functions would reject (`sweepConcurrency: 100`, a malformed exclusion
 * filter) fails `cdk synth` naming the prop instead of failing every invocation; then the functions'
 * environment and the deployment's defaults derived from them.
 */
import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { EcrFeatures } from '../lib/iam-actions.ts';
import {
  type GuardFunctionName,
  LAMBDA_LOG_LEVELS,
  propName,
  type SettingKey,
  type SettingValues,
  settingRows,
  validateSettings,
} from '../lib/settings.ts';
import { functionEnvironment } from './function-environment.ts';
import { FUNCTION_DEFAULTS, type GuardLogLevel } from './functions.ts';
import type { EcrImmutabilityGuardBaseProps } from './guard-props.ts';

/** The props with their defaults applied, validated once. */
export interface GuardSettings {
  /** Every setting's value, defaults applied; `auditEventBusName` is the audit bus's ARN. */
  readonly values: SettingValues;
  readonly logLevel: GuardLogLevel;
  readonly logRetention: logs.RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
  /** The ECR features of each function (lib/ecr.ts): only the sweep checks creation templates. */
  readonly guardrailFeatures: EcrFeatures;
  readonly sweepFeatures: EcrFeatures;
  readonly sweepTimeout: Duration;
  readonly activeTracing: boolean;
  /** The environment of one function (infra/function-environment.ts). */
  readonly environment: (fn: GuardFunctionName) => Record<string, string>;
}

/** Whether Lambda's advanced logging controls take the level too. */
export function isLambdaLogLevel(level: string): level is GuardLogLevel {
  return LAMBDA_LOG_LEVELS.some((allowed) => allowed === level);
}

/** Props the construct takes in a CDK type, as their setting's plain value. */
const PLAIN_VALUE: Partial<Record<SettingKey, (props: EcrImmutabilityGuardBaseProps) => unknown>> = {
  sweepSafetyMarginMs: (props) => props.sweepSafetyMargin?.toMilliseconds(),
};

/**
 * Validates the props that are settings; `deployment` holds the ones a construct decides itself (the
 * organisation construct is always in organisation mode) or takes beyond the shared props.
 *
 * @returns the validated values (defaults applied) and the settings whose prop was given.
 * @throws Error naming every bad prop.
 */
export function validateGuardProps(
  props: EcrImmutabilityGuardBaseProps,
  deployment: Readonly<Record<string, unknown>> = {},
): { values: SettingValues; given: ReadonlySet<SettingKey> } {
  const byProp = new Map<string, unknown>([...Object.entries(props), ...Object.entries(deployment)]);
  const input: Partial<Record<SettingKey, unknown>> = {};
  for (const row of settingRows()) {
    const name = propName(row.key);
    if (name === undefined) continue;
    const plain = PLAIN_VALUE[row.key];
    const value = plain === undefined ? byProp.get(name) : plain(props);
    if (value !== undefined) input[row.key] = value;
  }
  const nameOf = (key: SettingKey) => propName(key) ?? key;
  const result = validateSettings(input, nameOf);
  if (!result.ok) {
    throw new Error(
      `EcrImmutabilityGuard: ${result.issues.map((issue) => `${nameOf(issue.key)}: ${issue.message}`).join('; ')}`,
    );
  }
  return { values: result.values, given: new Set(Object.keys(input).filter(isSettingKey)) };
}

function isSettingKey(key: string): key is SettingKey {
  return settingRows().some((row) => row.key === key);
}

/** @throws Error naming every bad prop. */
export function resolveGuardSettings(
  props: EcrImmutabilityGuardBaseProps,
  deployment: Readonly<Record<string, unknown>> = {},
): GuardSettings {
  const validated = validateGuardProps(props, deployment);
  // The ARN works for PutEvents whether the bus was given by name or by ARN.
  const values: SettingValues = { ...validated.values, auditEventBusName: props.auditEventBus?.eventBusArn };
  const given = new Set(validated.given);
  if (values.auditEventBusName !== undefined) given.add('auditEventBusName');
  const logLevel = values.logLevel;
  if (!isLambdaLogLevel(logLevel)) {
    throw new Error(`EcrImmutabilityGuard: logLevel: must be one of ${LAMBDA_LOG_LEVELS.join(', ')}`);
  }
  const guardrailFeatures = { tagExemptions: values.exemptTagKey !== undefined, creationTemplates: false };
  return {
    values,
    logLevel,
    logRetention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
    logRemovalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    guardrailFeatures,
    sweepFeatures: { ...guardrailFeatures, creationTemplates: values.checkCreationTemplates },
    sweepTimeout: props.sweepTimeout ?? FUNCTION_DEFAULTS.sweepTimeout,
    activeTracing: values.activeTracing === true,
    environment: (fn) => functionEnvironment(fn, { values, given }),
  };
}

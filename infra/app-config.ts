/**
 * Reads the app's settings from CDK context (`-c key=value` or `cdk.json`), so one synthesized app
 * serves every account: no lookups, no credentials. The keys, their schemas and spellings are rows
 * of lib/settings.ts, validated by the same schemas the functions use at start-up. Unknown keys
 * and malformed values fail synthesis naming the key (and the closest valid key) rather than
 * deploying something else than asked (`-c dryrun=true` must not deploy in live mode).
 */
import * as events from 'aws-cdk-lib/aws-events';
import type { Construct } from 'constructs';
import {
  closest,
  contextName,
  LAMBDA_LOG_LEVELS,
  parseText,
  propName,
  SETTINGS,
  type SettingKey,
  type SettingRow,
  type SettingValues,
  settingRows,
  validateSettings,
} from '../lib/settings.ts';
import type { EcrImmutabilityGuardProps } from './ecr-immutability-guard.ts';
import { isLambdaLogLevel } from './guard-settings.ts';
import type { EcrImmutabilityGuardOrgBaseProps } from './org-guard.ts';

/** The context keys the app reads, all optional, each a row of lib/settings.ts. */
export const CONTEXT_KEYS: readonly string[] = settingRows().flatMap((row) => contextName(row.key) ?? []);

/**
 * Whether a context key is one of ours to check. CDK's own keys are namespaced and never plain
 * words: feature flags (`@aws-cdk/core:…`), the toolkit's (`aws:cdk:enable-path-metadata`,
 * `aws-cdk:enableDiffNoFail`, `cli-telemetry`, `acknowledged-issue-numbers`) and the context
 * providers' cache (`availability-zones:account=…`). A plain camelCase word is an app setting.
 * https://docs.aws.amazon.com/cdk/v2/guide/context.html
 */
export function isAppContextKey(key: string): boolean {
  return /^[A-Za-z][A-Za-z0-9]*$/.test(key);
}

/** A context value's form as a setting value: text is parsed as the variable would be. */
function fromContext(key: SettingKey, value: unknown): unknown {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return parseText(key, value);
  const row: SettingRow = SETTINGS[key];
  if (Array.isArray(value) && row.kind === 'list') return value.map((item) => String(item).trim());
  const textual = row.kind === 'text' || row.kind === 'choice';
  if ((typeof value === 'number' || typeof value === 'boolean') && textual)
    return parseText(key, String(value));
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  return { invalid: value };
}

function fail(problems: readonly string[]): never {
  throw new Error(`Invalid CDK context (-c key=value or cdk.json):\n  ${problems.join('\n  ')}`);
}

/**
 * The props of the settings the construct takes in a CDK type (the row's `prop: false`): the audit bus,
 * imported by name or ARN, and the schedule. Every other setting is its prop's value as it is.
 */
function constructProps(scope: Construct, key: SettingKey, values: SettingValues): EcrImmutabilityGuardProps {
  switch (key) {
    case 'auditEventBusName': {
      const bus = values.auditEventBusName;
      if (bus === undefined) return {};
      return {
        auditEventBus: bus.startsWith('arn:')
          ? events.EventBus.fromEventBusArn(scope, 'AuditEventBus', bus)
          : events.EventBus.fromEventBusName(scope, 'AuditEventBus', bus),
      };
    }
    case 'schedule': {
      const schedule = values.schedule;
      if (schedule === undefined) return {};
      return {
        schedule: ['off', 'false', 'none'].includes(schedule) ? false : events.Schedule.expression(schedule),
      };
    }
    default:
      throw new Error(`setting ${key} has a context key but no construct prop to put it in`);
  }
}

/**
 * Builds the construct's properties from context, one per key given (lib/settings.ts `context`): the
 * setting's prop with its validated value, the bus imported by name or ARN. Settings not given are left
 * out (the construct's defaults apply).
 *
 * @throws Error naming every unknown key (with the closest valid one) and every bad value.
 */
export function guardPropsFromContext(
  scope: Construct,
  context: Readonly<Record<string, unknown>> = scope.node.getAllContext(),
): EcrImmutabilityGuardProps {
  const problems: string[] = [];
  for (const key of Object.keys(context)) {
    if (!isAppContextKey(key) || CONTEXT_KEYS.includes(key)) continue;
    const hint = closest(key, CONTEXT_KEYS);
    problems.push(`unknown context key ${key}${hint === undefined ? '' : `; did you mean ${hint}?`}`);
  }
  const input: Partial<Record<SettingKey, unknown>> = {};
  const given = new Set<SettingKey>();
  for (const row of settingRows()) {
    const name = contextName(row.key);
    if (name === undefined) continue;
    const value = fromContext(row.key, context[name]);
    if (value === undefined) continue;
    if (typeof value === 'object' && value !== null && 'invalid' in value) {
      problems.push(`context key ${name}: expected a string, got ${JSON.stringify(value.invalid)}`);
      continue;
    }
    input[row.key] = value;
    given.add(row.key);
  }
  const nameOf = (key: SettingKey) => contextName(key) ?? key;
  const result = validateSettings(input, nameOf);
  if (!result.ok) {
    fail([
      ...problems,
      ...result.issues.map((issue) => `context key ${nameOf(issue.key)}: ${issue.message}`),
    ]);
  }
  if (problems.length > 0) fail(problems);
  const values = result.values;
  if (given.has('logLevel') && !isLambdaLogLevel(values.logLevel)) {
    fail([`context key logLevel: must be one of ${LAMBDA_LOG_LEVELS.join(', ')} (Lambda's log levels)`]);
  }
  const props: Record<string, unknown> = {};
  for (const key of given) {
    const name = propName(key);
    if (name === undefined) Object.assign(props, constructProps(scope, key, values));
    else props[name] = values[key];
  }
  // Each key is a row's prop with the row's validated value (test/infra/construct-docs.test.ts checks every
  // context key names a prop of the construct).
  return props as EcrImmutabilityGuardProps;
}

/**
 * The central organisation stack's properties from the same context: every setting but the trail ones
 * (an organisation trail, or the member accounts' own, feeds the member stacks' forwarding rules) and
 * organisation mode, which the central construct always is. The organisation id and the StackSet's
 * targets are the stack's CloudFormation parameters (infra/stack.ts).
 */
export function orgGuardPropsFromContext(
  scope: Construct,
  context: Readonly<Record<string, unknown>> = scope.node.getAllContext(),
): EcrImmutabilityGuardOrgBaseProps {
  const { createTrail, trailHomeRegion, trailRetentionDays, organization, code, ...props } =
    guardPropsFromContext(scope, context);
  return props;
}

/**
 * Reads the app's settings from CDK context (`-c key=value` or `cdk.json`), so one synthesized app
 * serves every account: no lookups, no credentials. The keys, their schemas and spellings are rows
 * of lib/settings.ts, validated by the same schemas the functions use at start-up. Unknown keys
 * and malformed values fail synthesis naming the key (and the closest valid key) rather than
 * deploying something else than asked (`-c dryrun=true` must not deploy in live mode).
 */
import * as events from 'aws-cdk-lib/aws-events';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import {
  closest,
  contextName,
  LAMBDA_LOG_LEVELS,
  parseText,
  SETTINGS,
  type SettingKey,
  type SettingRow,
  settingRows,
  validateSettings,
} from '../lib/settings.ts';
import type { EcrImmutabilityGuardProps, GuardLogLevel } from './ecr-immutability-guard.ts';
import type { EcrImmutabilityGuardOrgProps } from './org-guard.ts';

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

function retentionOf(days: number): logs.RetentionDays | undefined {
  return Object.values(logs.RetentionDays).find((value): value is logs.RetentionDays => value === days);
}

function isLambdaLogLevel(level: string): level is GuardLogLevel {
  return LAMBDA_LOG_LEVELS.some((allowed) => allowed === level);
}

/**
 * Builds the construct's properties from context; the bus is imported by name or ARN. Settings
 * not given are left undefined (the construct's defaults apply).
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
  const when = <T>(key: SettingKey, value: T): T | undefined => (given.has(key) ? value : undefined);

  const bus = when('auditEventBusName', values.auditEventBusName);
  const auditEventBus =
    bus === undefined
      ? undefined
      : bus.startsWith('arn:')
        ? events.EventBus.fromEventBusArn(scope, 'AuditEventBus', bus)
        : events.EventBus.fromEventBusName(scope, 'AuditEventBus', bus);
  const schedule = when('schedule', values.schedule);
  const retentionDays = when('logRetentionDays', values.logRetentionDays);
  const logLevel = values.logLevel;
  return {
    targetMutability: when('targetMutability', values.targetMutability),
    exclusionFilters: when('exclusionFilters', values.exclusionFilters),
    allowedExclusions: when('allowedExclusions', values.allowedExclusions),
    dryRun: when('dryRun', values.dryRun),
    exemptRepositories: when('exemptRepositories', values.exemptRepositories),
    exemptTagKey: when('exemptTagKey', values.exemptTagKey),
    exemptExpiryTagKey: when('exemptExpiryTagKey', values.exemptExpiryTagKey),
    auditEventBus,
    verboseAudit: when('verboseAudit', values.verboseAudit),
    checkCreationTemplates: when('checkCreationTemplates', values.checkCreationTemplates),
    sweepConcurrency: when('sweepConcurrency', values.sweepConcurrency),
    logLevel: given.has('logLevel') && isLambdaLogLevel(logLevel) ? logLevel : undefined,
    logRetention: retentionDays === undefined ? undefined : retentionOf(retentionDays),
    schedule:
      schedule === undefined
        ? undefined
        : ['off', 'false', 'none'].includes(schedule)
          ? false
          : events.Schedule.expression(schedule),
    guardrailReservedConcurrency: when('guardrailReservedConcurrency', values.guardrailReservedConcurrency),
    alarmEmail: when('alarmEmail', values.alarmEmail),
    createTrail: when('createTrail', values.createTrail),
    createAlarms: when('createAlarms', values.createAlarms),
    sweepHeartbeatHours: when('sweepHeartbeatHours', values.sweepHeartbeatHours),
    activeTracing: when('activeTracing', values.activeTracing),
    trailHomeRegion: when('trailHomeRegion', values.trailHomeRegion),
    trailRetentionDays: when('trailRetentionDays', values.trailRetentionDays),
    // Organisation mode (lib/settings.ts rows; infra/org-permissions.ts).
    organization: when('organization', values.organization),
    memberRoleName: when('memberRoleName', values.memberRoleName),
    memberExternalId: when('memberExternalId', values.memberExternalId),
    organizationalUnits: when('organizationalUnits', values.organizationalUnits),
    scopeAccounts: when('scopeAccounts', values.scopeAccounts),
    excludedAccounts: when('excludedAccounts', values.excludedAccounts),
    includeManagementAccount: when('includeManagementAccount', values.includeManagementAccount),
    scopeRegions: when('scopeRegions', values.scopeRegions),
    accountRegionParallelism: when('accountRegionParallelism', values.accountRegionParallelism),
  };
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
): Omit<EcrImmutabilityGuardOrgProps, 'organizationId' | 'stackSet'> {
  const { createTrail, trailHomeRegion, trailRetentionDays, organization, code, ...props } =
    guardPropsFromContext(scope, context);
  return props;
}

/**
 * Reads the app's settings from CDK context (`-c key=value` or `cdk.json`), so one synthesized app
 * serves every account: no lookups, no credentials. Unknown or malformed values fail synthesis
 * with the key's name rather than deploying something else than asked.
 */
import * as events from 'aws-cdk-lib/aws-events';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { EcrImmutabilityGuardProps, GuardLogLevel } from './ecr-immutability-guard.ts';
import type { TargetMutability } from './guardrail-event-pattern.ts';

/** The context keys the app reads, all optional. */
export const CONTEXT_KEYS = [
  'targetMutability',
  'exclusionFilters',
  'allowedExclusions',
  'dryRun',
  'exemptRepositories',
  'exemptTagKey',
  'exemptExpiryTagKey',
  'auditEventBus',
  'verboseAudit',
  'checkCreationTemplates',
  'logLevel',
  'logRetentionDays',
  'schedule',
  'guardrailReservedConcurrency',
  'alarmEmail',
  'createTrail',
] as const;
export type ContextKey = (typeof CONTEXT_KEYS)[number];

/** Looks a context value up; tests pass a plain record. */
export type ContextReader = (key: ContextKey) => unknown;

export function contextReader(scope: Construct): ContextReader {
  return (key) => scope.node.tryGetContext(key);
}

function text(read: ContextReader, key: ContextKey): string | undefined {
  const value = read(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new Error(`context ${key}: expected a string`);
}

function list(read: ContextReader, key: ContextKey): string[] | undefined {
  const value = read(key);
  if (Array.isArray(value)) return value.map(String);
  const raw = text(read, key);
  if (raw === undefined) return undefined;
  return raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

function flag(read: ContextReader, key: ContextKey): boolean | undefined {
  const raw = text(read, key);
  if (raw === undefined) return undefined;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw new Error(`context ${key}: expected true or false, got '${raw}'`);
}

function oneOf<T extends string>(read: ContextReader, key: ContextKey, allowed: readonly T[]): T | undefined {
  const raw = text(read, key);
  if (raw === undefined) return undefined;
  const found = allowed.find((candidate) => candidate === raw);
  if (found === undefined)
    throw new Error(`context ${key}: expected one of ${allowed.join(', ')}, got '${raw}'`);
  return found;
}

function retention(read: ContextReader): logs.RetentionDays | undefined {
  const raw = text(read, 'logRetentionDays');
  if (raw === undefined) return undefined;
  const days = Number(raw);
  const found = Object.values(logs.RetentionDays).find(
    (value): value is logs.RetentionDays => value === days,
  );
  if (found === undefined)
    throw new Error(`context logRetentionDays: ${raw} is not a CloudWatch Logs retention`);
  return found;
}

function schedule(read: ContextReader): events.Schedule | false | undefined {
  const raw = text(read, 'schedule');
  if (raw === undefined) return undefined;
  if (raw === 'off' || raw === 'false' || raw === 'none') return false;
  if (/^(rate|cron)\(.+\)$/.test(raw)) return events.Schedule.expression(raw);
  throw new Error(`context schedule: expected rate(...), cron(...) or off, got '${raw}'`);
}

function reservedConcurrency(read: ContextReader): number | false | undefined {
  const raw = text(read, 'guardrailReservedConcurrency');
  if (raw === undefined) return undefined;
  if (raw === 'none' || raw === 'false') return false;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(
      `context guardrailReservedConcurrency: expected a positive integer or none, got '${raw}'`,
    );
  }
  return value;
}

/** Builds the construct's properties from context; the bus is imported by name or ARN. */
export function guardPropsFromContext(
  scope: Construct,
  read: ContextReader = contextReader(scope),
): EcrImmutabilityGuardProps {
  const bus = text(read, 'auditEventBus');
  const auditEventBus =
    bus === undefined
      ? undefined
      : bus.startsWith('arn:')
        ? events.EventBus.fromEventBusArn(scope, 'AuditEventBus', bus)
        : events.EventBus.fromEventBusName(scope, 'AuditEventBus', bus);
  const targetMutability = oneOf<TargetMutability>(read, 'targetMutability', [
    'IMMUTABLE',
    'IMMUTABLE_WITH_EXCLUSION',
  ]);
  const logLevel = oneOf<GuardLogLevel>(read, 'logLevel', ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR']);
  return {
    targetMutability,
    exclusionFilters: list(read, 'exclusionFilters'),
    allowedExclusions: list(read, 'allowedExclusions'),
    dryRun: flag(read, 'dryRun'),
    exemptRepositories: list(read, 'exemptRepositories'),
    exemptTagKey: text(read, 'exemptTagKey'),
    exemptExpiryTagKey: text(read, 'exemptExpiryTagKey'),
    auditEventBus,
    verboseAudit: flag(read, 'verboseAudit'),
    checkCreationTemplates: flag(read, 'checkCreationTemplates'),
    logLevel,
    logRetention: retention(read),
    schedule: schedule(read),
    guardrailReservedConcurrency: reservedConcurrency(read),
    alarmEmail: text(read, 'alarmEmail'),
    createTrail: flag(read, 'createTrail'),
  };
}

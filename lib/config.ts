/**
 * Configuration from environment variables, validated with zod and read once at init. Pure: the
 * caller passes the environment, so tests and the CLI hand in their own. The variables, their
 * schemas and defaults are rows of lib/settings.ts.
 */
import { ConfigError } from './errors.ts';
import type { Policy, TargetSetting } from './policy.ts';
import {
  envName,
  type LogLevel,
  type SettingKey,
  type SettingValues,
  settingsInputFromEnv,
  validateSettings,
} from './settings.ts';

export { LOG_LEVELS, type LogLevel } from './settings.ts';

export interface GuardConfig {
  readonly policy: Policy;
  readonly dryRun: boolean;
  readonly verboseAudit: boolean;
  /** The sweep also checks (and fixes) repository creation templates. */
  readonly checkCreationTemplates: boolean;
  readonly auditEventBusName: string | undefined;
  /** The Security Hub sink (lib/securityhub-sink.ts). */
  readonly securityHub: SecurityHubConfig;
  readonly sweepConcurrency: number;
  readonly sweepSafetyMarginMs: number;
  readonly serviceName: string;
  readonly metricsNamespace: string;
  readonly logLevel: LogLevel;
  /** SDK client settings (lib/aws-client-config.ts). */
  readonly sdk: SdkSettings;
  /** Organisation scope and member-role access (lib/scope.ts, lib/credentials.ts). */
  readonly organization: OrganizationConfig;
}

/** The organisation settings: which accounts and regions are in scope, and how to reach them. */
export interface OrganizationConfig {
  /** Organisation mode: accounts from AWS Organizations; the guardrail acts on member events. */
  readonly enabled: boolean;
  readonly roleName: string;
  readonly externalId: string | undefined;
  /** Organisation mode only: the OUs/roots whose accounts are in scope; empty = the whole organisation. */
  readonly organizationalUnits: readonly string[];
  /** Explicit accounts (without organisation mode) or a restriction of the organisation's (with it); empty = none given. */
  readonly accounts: readonly string[];
  readonly excludedAccounts: readonly string[];
  /** Organisation mode: the management account is swept like a member (through the member role). */
  readonly includeManagementAccount: boolean;
  /** The organisation's central bus: an organisation sweep child checks its forwarding rule targets it. */
  readonly centralEventBusArn: string | undefined;
  /** Regions of the organisation sweep; empty = the caller's own region. */
  readonly regions: readonly string[];
  /** Account-regions swept at once. */
  readonly parallelism: number;
}

/** Whether decisions are mirrored onto Security Hub's ECR.2 findings, and where. */
export interface SecurityHubConfig {
  readonly sync: boolean;
  /** The Region findings are synced in (the aggregation Region); undefined: each account-region's own. */
  readonly region: string | undefined;
}

/** What every SDK client is built with: timeouts and retries. */
export interface SdkSettings {
  readonly connectTimeoutMs: number;
  readonly requestTimeoutMs: number;
  /** The most one call may take, every attempt included (lib/call-limits.ts). */
  readonly callTimeoutMs: number;
  /** AWS_MAX_ATTEMPTS when set; otherwise each caller's own default. */
  readonly maxAttempts: number | undefined;
  readonly retryMode: 'standard' | 'adaptive' | 'legacy';
}

function buildTarget(values: SettingValues): TargetSetting {
  if (values.targetMutability === 'IMMUTABLE') return { mutability: 'IMMUTABLE', exclusionFilters: [] };
  return {
    mutability: values.targetMutability,
    exclusionFilters: [...new Set(values.exclusionFilters)].sort(),
  };
}

/** Builds the configuration from validated setting values. */
export function configFromSettings(values: SettingValues): GuardConfig {
  return {
    policy: {
      target: buildTarget(values),
      allowedExclusions: values.allowedExclusions.length > 0 ? values.allowedExclusions : undefined,
      exemptRepositories: values.exemptRepositories,
      exemptTag:
        values.exemptTagKey === undefined
          ? undefined
          : { key: values.exemptTagKey, expiryKey: values.exemptExpiryTagKey },
    },
    dryRun: values.dryRun,
    verboseAudit: values.verboseAudit,
    checkCreationTemplates: values.checkCreationTemplates,
    auditEventBusName: values.auditEventBusName,
    securityHub: { sync: values.syncSecurityHub, region: values.securityHubRegion },
    sweepConcurrency: values.sweepConcurrency,
    sweepSafetyMarginMs: values.sweepSafetyMarginMs,
    serviceName: values.serviceName,
    metricsNamespace: values.metricsNamespace,
    logLevel: values.logLevel,
    sdk: {
      connectTimeoutMs: values.connectTimeoutMs,
      requestTimeoutMs: values.requestTimeoutMs,
      callTimeoutMs: values.callTimeoutMs,
      maxAttempts: values.maxAttempts,
      retryMode: values.retryMode,
    },
    organization: {
      enabled: values.organization,
      roleName: values.memberRoleName,
      externalId: values.memberExternalId,
      organizationalUnits: values.organizationalUnits,
      accounts: values.scopeAccounts,
      excludedAccounts: values.excludedAccounts,
      includeManagementAccount: values.includeManagementAccount,
      centralEventBusArn: values.centralEventBusArn,
      regions: values.scopeRegions,
      parallelism: values.accountRegionParallelism,
    },
  };
}

/**
 * Validates settings given per key and builds the configuration.
 *
 * @throws ConfigError naming the first bad setting as `nameOf` spells it.
 */
export function configFromInput(
  input: Partial<Record<SettingKey, unknown>>,
  nameOf: (key: SettingKey) => string,
): GuardConfig {
  const result = validateSettings(input, nameOf);
  if (!result.ok) {
    const [first] = result.issues;
    // Stryker disable next-line StringLiteral: unreachable, validateSettings fails only with an issue.
    if (first === undefined) throw new ConfigError('environment', 'invalid');
    throw new ConfigError(nameOf(first.key), first.message);
  }
  return configFromSettings(result.values);
}

/**
 * Validates the environment and builds the configuration.
 *
 * @throws ConfigError naming the first variable that is wrong.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): GuardConfig {
  return configFromInput(settingsInputFromEnv(env), envName);
}

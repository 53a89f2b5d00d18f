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
  readonly sweepConcurrency: number;
  readonly sweepSafetyMarginMs: number;
  readonly serviceName: string;
  readonly metricsNamespace: string;
  readonly logLevel: LogLevel;
  /** SDK client settings (lib/aws-client-config.ts). */
  readonly sdk: SdkSettings;
}

/** What every SDK client is built with: timeouts and retries. */
export interface SdkSettings {
  readonly connectTimeoutMs: number;
  readonly requestTimeoutMs: number;
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
    sweepConcurrency: values.sweepConcurrency,
    sweepSafetyMarginMs: values.sweepSafetyMarginMs,
    serviceName: values.serviceName,
    metricsNamespace: values.metricsNamespace,
    logLevel: values.logLevel,
    sdk: {
      connectTimeoutMs: values.connectTimeoutMs,
      requestTimeoutMs: values.requestTimeoutMs,
      maxAttempts: values.maxAttempts,
      retryMode: values.retryMode,
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

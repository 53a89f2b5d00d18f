/**
 * Configuration from environment variables, validated with zod and read once at init. Pure: the
 * caller passes the environment, so tests and the CLI hand in their own.
 */
import * as z from 'zod/mini';
import { ConfigError } from './errors.ts';
import {
  EXCLUSION_FILTER_PATTERN,
  MAX_EXCLUSION_FILTERS,
  type Policy,
  type TargetSetting,
} from './policy.ts';

const booleanVar = z.pipe(
  z.optional(z.enum(['true', 'false', '1', '0', 'yes', 'no', ''], 'must be true or false')),
  z.transform((value) => value === 'true' || value === '1' || value === 'yes'),
);

const listVar = z.pipe(
  z.optional(z.string()),
  z.transform((value) =>
    (value ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0),
  ),
);

const filterListVar = z.pipe(
  listVar,
  z.array(
    z.string().check(z.regex(EXCLUSION_FILTER_PATTERN, 'each filter must be 1-128 of [0-9a-zA-Z._*-]')),
  ),
);

const optionalText = (max: number) =>
  z.pipe(
    z.optional(z.string().check(z.maxLength(max))),
    z.transform((value) => (value === '' ? undefined : value)),
  );

const intVar = (fallback: number, min: number, max: number) =>
  z.pipe(
    z.pipe(
      z.optional(z.string()),
      z.transform((value) => (value === undefined || value === '' ? fallback : Number(value))),
    ),
    z.int(`must be an integer from ${min} to ${max}`).check(z.gte(min), z.lte(max)),
  );

export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT', 'CRITICAL'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Every variable we read, with its default. Unknown variables are ignored: Lambda sets many. */
const EnvSchema = z.object({
  TARGET_MUTABILITY: z._default(
    z.enum(['IMMUTABLE', 'IMMUTABLE_WITH_EXCLUSION'], 'must be IMMUTABLE or IMMUTABLE_WITH_EXCLUSION'),
    'IMMUTABLE',
  ),
  EXCLUSION_FILTERS: filterListVar,
  ALLOWED_EXCLUSIONS: filterListVar,
  DRY_RUN: booleanVar,
  VERBOSE_AUDIT: booleanVar,
  CHECK_CREATION_TEMPLATES: booleanVar,
  AUDIT_EVENT_BUS_NAME: optionalText(1600),
  EXEMPT_REPOSITORIES: listVar,
  EXEMPT_TAG_KEY: optionalText(128),
  EXEMPT_EXPIRY_TAG_KEY: optionalText(128),
  SWEEP_CONCURRENCY: intVar(4, 1, 64),
  SWEEP_SAFETY_MARGIN_MS: intVar(30_000, 0, 900_000),
  POWERTOOLS_SERVICE_NAME: z._default(z.string().check(z.minLength(1)), 'ecr-immutability-guard'),
  POWERTOOLS_METRICS_NAMESPACE: z._default(
    z.string().check(z.minLength(1), z.maxLength(255)),
    'EcrImmutabilityGuard',
  ),
  POWERTOOLS_LOG_LEVEL: z.pipe(
    z.pipe(
      z.optional(z.string()),
      z.transform((value) => (value || 'INFO').toUpperCase()),
    ),
    z.enum(LOG_LEVELS, `must be one of ${LOG_LEVELS.join(', ')}`),
  ),
});

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
}

/** The environment variables {@link loadConfig} reads, for documentation and the CDK construct. */
export const CONFIG_VARIABLES = Object.keys(EnvSchema.shape) as readonly (keyof typeof EnvSchema.shape)[];

function buildTarget(mutability: 'IMMUTABLE' | 'IMMUTABLE_WITH_EXCLUSION', filters: string[]): TargetSetting {
  if (mutability === 'IMMUTABLE') {
    if (filters.length > 0) {
      throw new ConfigError(
        'EXCLUSION_FILTERS',
        'must be empty unless TARGET_MUTABILITY is IMMUTABLE_WITH_EXCLUSION',
      );
    }
    return { mutability, exclusionFilters: [] };
  }
  if (filters.length < 1 || filters.length > MAX_EXCLUSION_FILTERS) {
    throw new ConfigError(
      'EXCLUSION_FILTERS',
      `IMMUTABLE_WITH_EXCLUSION needs 1 to ${MAX_EXCLUSION_FILTERS} comma-separated filters, got ${filters.length}`,
    );
  }
  return { mutability, exclusionFilters: [...new Set(filters)].sort() };
}

/**
 * Validates the environment and builds the configuration.
 *
 * @throws ConfigError naming the first variable that is wrong.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): GuardConfig {
  const result = EnvSchema.safeParse(env);
  if (!result.success) {
    const issue = result.error.issues[0];
    const variable = String(issue?.path[0] ?? 'environment');
    throw new ConfigError(variable, issue?.message ?? 'invalid', { cause: result.error });
  }
  const vars = result.data;
  const target = buildTarget(vars.TARGET_MUTABILITY, vars.EXCLUSION_FILTERS);
  if (vars.EXEMPT_EXPIRY_TAG_KEY !== undefined && vars.EXEMPT_TAG_KEY === undefined) {
    throw new ConfigError('EXEMPT_EXPIRY_TAG_KEY', 'needs EXEMPT_TAG_KEY to be set');
  }
  return {
    policy: {
      target,
      allowedExclusions: vars.ALLOWED_EXCLUSIONS.length > 0 ? vars.ALLOWED_EXCLUSIONS : undefined,
      exemptRepositories: vars.EXEMPT_REPOSITORIES,
      exemptTag:
        vars.EXEMPT_TAG_KEY === undefined
          ? undefined
          : { key: vars.EXEMPT_TAG_KEY, expiryKey: vars.EXEMPT_EXPIRY_TAG_KEY },
    },
    dryRun: vars.DRY_RUN,
    verboseAudit: vars.VERBOSE_AUDIT,
    checkCreationTemplates: vars.CHECK_CREATION_TEMPLATES,
    auditEventBusName: vars.AUDIT_EVENT_BUS_NAME,
    sweepConcurrency: vars.SWEEP_CONCURRENCY,
    sweepSafetyMarginMs: vars.SWEEP_SAFETY_MARGIN_MS,
    serviceName: vars.POWERTOOLS_SERVICE_NAME,
    metricsNamespace: vars.POWERTOOLS_METRICS_NAMESPACE,
    logLevel: vars.POWERTOOLS_LOG_LEVEL,
  };
}

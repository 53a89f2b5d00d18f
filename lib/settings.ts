/**
 * Every setting of the guard, once: its environment variable (the functions), CLI flag, CDK prop
 * and `-c` context key, zod schema, default and description. The functions' configuration
 * (lib/config.ts), the CLI's options and help (bin/), the construct's prop validation and the app's
 * context keys (infra/) and the README's configuration table (`npm run docs`) are all derived from
 * {@link SETTINGS}; adding a setting is one row here plus its use (docs/architecture.md, "where to add").
 *
 * Pure: no SDK and no CDK imports, so the Lambda bundles can carry it.
 */
import * as z from 'zod/mini';
import {
  EXCLUSION_FILTER_PATTERN,
  MAX_EXCLUSION_FILTERS,
  matchesEveryTag,
  TARGET_MUTABILITIES,
} from './policy.ts';
import { accountIdSchema, parentIdSchema, regionSchema } from './scope.ts';
import './validation.ts';

/** How a setting's text form (an environment variable, a flag, a `-c` value) becomes its value. */
export type SettingKind = 'text' | 'choice' | 'list' | 'boolean' | 'integer';

/**
 * Where the CLI takes a setting's flag: on every command (`global`), on the commands that decide
 * repositories (`repositories`: `sweep`, `check`, `remediate`), or on `sweep` alone.
 */
export type FlagScope = 'global' | 'repositories' | 'sweep';

/** The guard's Lambda functions, by the name of their bundle. */
export const GUARD_FUNCTIONS = ['guardrail', 'sweep', 'scope'] as const;
export type GuardFunctionName = (typeof GUARD_FUNCTIONS)[number];

/**
 * When the CDK construct sets a variable in its functions' environment:
 * - `always`: the setting's value, its default when the prop is not given (unset when that is empty);
 * - `given`: only when the prop is given, so the function's own default applies otherwise;
 * - `members`: the value, only when the functions reach member accounts (organisation mode or an account list).
 */
export type EnvWhen = 'always' | 'given' | 'members';

export interface SettingRow {
  /** Environment variable the functions read; absent for deploy-time settings. */
  readonly env?: string;
  /** The functions whose environment the CDK construct sets {@link env} in; none: the variable is the user's to set. */
  readonly functions?: readonly GuardFunctionName[];
  /** When the construct sets it. @default 'always' */
  readonly envWhen?: EnvWhen;
  /** CLI flag with its argument (`--target <mutability>`); boolean flags take none. */
  readonly flag?: string;
  readonly flagScope?: FlagScope;
  /** The flag may be repeated (a list); commas inside one value split it too. */
  readonly repeatable?: boolean;
  /** CDK construct prop name (default: the setting's key), `false` when the prop is not a plain value. */
  readonly prop?: string | false;
  /** The app reads it as `-c <key>=…` (a string: under that key instead of the setting's). */
  readonly context?: boolean | string;
  readonly kind: SettingKind;
  /** Accepted values of a `choice`, for help and docs. */
  readonly choices?: readonly string[];
  /** Parses the text form when the kind's default parsing does not fit. */
  readonly fromText?: (text: string) => unknown;
  /** Validates the value (after the text form is parsed); an absent value gets the default. */
  readonly schema: z.ZodMiniType;
  /** The default as the docs show it. */
  readonly defaultText: string;
  readonly description: string;
}

/** The spellings of true and false every surface accepts (environment, flags, context), case-insensitive. */
export const BOOLEAN_SPELLINGS = {
  true: ['true', '1', 'yes', 'on'],
  false: ['false', '0', 'no', 'off'],
} as const;

export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT', 'CRITICAL'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
/** Log levels Lambda's advanced logging controls accept too (the CDK construct sets both). */
export const LAMBDA_LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'] as const;
export const RETRY_MODES = ['standard', 'adaptive', 'legacy'] as const;
/** CloudWatch Logs retention periods in days (`aws-cdk-lib/aws-logs` RetentionDays; a test keeps them equal). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
  9999,
] as const;

const integer = (min: number, max: number) => {
  const message = `must be an integer from ${min} to ${max}`;
  return z.int(message).check(z.gte(min, message), z.lte(max, message));
};

const filterList = z.array(
  z.string().check(
    z.regex(EXCLUSION_FILTER_PATTERN, {
      error: (issue) => `'${String(issue.input)}' is not a tag filter (1-128 of 0-9 a-z A-Z . _ * -)`,
    }),
    // A filter of wildcards only matches every tag: IMMUTABLE_WITH_EXCLUSION with it is MUTABLE.
    z.refine((filter) => !matchesEveryTag(filter), {
      error: (issue) =>
        `'${String(issue.input)}' matches every tag, so IMMUTABLE_WITH_EXCLUSION with it is MUTABLE; name the tags that may move (latest, dev-*)`,
    }),
  ),
);

const nonEmptyText = (max: number) =>
  z
    .string()
    .check(z.minLength(1, 'must not be empty'), z.maxLength(max, `must be at most ${max} characters`));

const booleanValue = z._default(z.boolean('must be true or false'), false);

/**
 * A resource tag key as ECR accepts it (TagResource, https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_Tag.html):
 * 1-128 Unicode letters, digits, spaces and `_ . : / = + - @`, never starting with the reserved `aws:`.
 */
export const TAG_KEY_PATTERN = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;
const tagKey = z.optional(
  z.string().check(
    z.minLength(1, 'must not be empty'),
    z.maxLength(128, 'must be at most 128 characters'),
    z.refine((key) => TAG_KEY_PATTERN.test(key), {
      error: (issue) =>
        `'${String(issue.input)}' is not a tag key AWS accepts (letters, digits, spaces and _ . : / = + - @)`,
      abort: true,
    }),
    z.refine((key) => !key.toLowerCase().startsWith('aws:'), {
      error: (issue) => `'${String(issue.input)}' uses the prefix aws:, which AWS reserves for its own tags`,
    }),
  ),
);

function choice<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, `must be one of ${values.join(', ')}`);
}

/**
 * Timeouts of every SDK call (lib/aws-client-config.ts). ECR's control-plane calls answer in well under a
 * second; without a timeout an endpoint that accepts and never answers hangs a call until the Lambda timeout
 * (or forever in the CLI). A timed-out attempt is retried like any transient error.
 * https://docs.aws.amazon.com/sdk-for-javascript/v3/developer-guide/node-configuring-maxsockets.html
 */
const CONNECT_TIMEOUT_MS = 3_000;
const REQUEST_TIMEOUT_MS = 10_000;
/** One call, every attempt and backoff included (lib/call-limits.ts): a silent endpoint fails within a minute. */
const CALL_TIMEOUT_MS = 60_000;

/** The policy, audit and logging settings: every function reads them. */
const EVERY_FUNCTION = GUARD_FUNCTIONS;

export const SETTINGS = {
  targetMutability: {
    env: 'TARGET_MUTABILITY',
    functions: EVERY_FUNCTION,
    flag: '--target <mutability>',
    flagScope: 'global',
    context: true,
    kind: 'choice',
    choices: TARGET_MUTABILITIES,
    schema: z._default(choice(TARGET_MUTABILITIES), 'IMMUTABLE'),
    defaultText: 'IMMUTABLE',
    description: 'the setting to enforce: `IMMUTABLE` or `IMMUTABLE_WITH_EXCLUSION`',
  },
  exclusionFilters: {
    env: 'EXCLUSION_FILTERS',
    functions: EVERY_FUNCTION,
    flag: '--exclusion-filter <filter>',
    flagScope: 'global',
    repeatable: true,
    context: true,
    kind: 'list',
    schema: z._default(filterList, []),
    defaultText: '–',
    description: `with \`IMMUTABLE_WITH_EXCLUSION\`: 1–${MAX_EXCLUSION_FILTERS} wildcard tag filters (\`latest,dev-*\`) a repository may leave mutable. A remediation (only of a setting not at least as strict: \`IMMUTABLE\` is left alone) leaves mutable only the tags that were mutable before and match one (\`IMMUTABLE\` when none is left). A filter of only \`*\` (every tag) is refused`,
  },
  allowedExclusions: {
    env: 'ALLOWED_EXCLUSIONS',
    functions: EVERY_FUNCTION,
    flag: '--allowed-exclusion <filter>',
    flagScope: 'global',
    repeatable: true,
    context: true,
    kind: 'list',
    schema: z._default(filterList, []),
    defaultText: '–',
    description:
      'a repository at `IMMUTABLE_WITH_EXCLUSION` whose filters are each covered by one in this list or in the target (`pr-12` or `pr-1*` by `pr-*`) is compliant, and one that is not keeps what its filters share with them when remediated. `MUTABLE` and `MUTABLE_WITH_EXCLUSION` never are (`ecr-guard plan` may set them within these). A filter of only `*` is refused',
  },
  dryRun: {
    env: 'DRY_RUN',
    functions: EVERY_FUNCTION,
    flag: '--dry-run',
    flagScope: 'repositories',
    context: true,
    kind: 'boolean',
    schema: booleanValue,
    defaultText: 'false',
    description:
      'decide and record (`would-remediate`), change nothing (the CLI exits 3 when something would change). A sweep payload can add dry-run, never remove it',
  },
  exemptRepositories: {
    env: 'EXEMPT_REPOSITORIES',
    functions: EVERY_FUNCTION,
    flag: '--exempt-repository <glob>',
    flagScope: 'global',
    repeatable: true,
    context: true,
    kind: 'list',
    schema: z._default(z.array(nonEmptyText(256)), []),
    defaultText: '–',
    description: 'repository name globs left alone (`sandbox/**`, `*/tmp`, `legacy-?`)',
  },
  exemptTagKey: {
    env: 'EXEMPT_TAG_KEY',
    functions: EVERY_FUNCTION,
    flag: '--exempt-tag-key <key>',
    flagScope: 'global',
    context: true,
    kind: 'text',
    schema: tagKey,
    defaultText: '–',
    description:
      'a repository tagged with this key is exempt; the tag’s value is the reason and must not be empty',
  },
  exemptExpiryTagKey: {
    env: 'EXEMPT_EXPIRY_TAG_KEY',
    functions: EVERY_FUNCTION,
    flag: '--exempt-expiry-tag-key <key>',
    flagScope: 'global',
    context: true,
    kind: 'text',
    schema: tagKey,
    defaultText: '–',
    description:
      'optional tag holding an ISO date-time, or a date (`2026-12-31`, its first instant: 00:00 UTC), after which the exemption lapses (reported, not honoured); a value that is not one, or a day that does not exist (`2099-02-30`), is not honoured either; needs the tag key',
  },
  auditEventBusName: {
    env: 'AUDIT_EVENT_BUS_NAME',
    functions: EVERY_FUNCTION,
    flag: '--audit-event-bus <name>',
    flagScope: 'global',
    // The construct takes an IEventBus (`auditEventBus`); the app imports it by name or ARN.
    prop: false,
    context: 'auditEventBus',
    kind: 'text',
    schema: z.optional(nonEmptyText(1600)),
    defaultText: '–',
    description:
      'name or ARN of an event bus for audit events (CDK: `auditEventBus`); the CLI publishes there with the caller’s credentials in its first region',
  },
  // Audit sinks beyond the log (lib/audit-sinks.ts).
  syncSecurityHub: {
    env: 'SYNC_SECURITY_HUB',
    functions: ['guardrail', 'sweep'],
    envWhen: 'given',
    flag: '--sync-security-hub',
    flagScope: 'global',
    context: true,
    kind: 'boolean',
    schema: booleanValue,
    defaultText: 'false',
    description:
      'keep Security Hub’s ECR.2 findings in step with the decisions: an exempt repository’s finding `SUPPRESSED` with the rule, reason and expiry, one compliant under the policy that the control fails `SUPPRESSED` naming the policy, a remediation noted, the guard’s own suppression lifted when the exemption goes (a person’s never touched). Failures are counted (`SecurityHubSyncFailures`) and never block enforcement',
  },
  securityHubRegion: {
    env: 'SECURITY_HUB_REGION',
    functions: ['guardrail', 'sweep'],
    envWhen: 'given',
    flag: '--security-hub-region <region>',
    flagScope: 'global',
    context: true,
    kind: 'text',
    schema: z.optional(regionSchema),
    defaultText: '– (each account-region’s own)',
    description:
      'with `syncSecurityHub`: the Region findings are synced in, Security Hub’s aggregation Region (there the administrator account sees and updates its members’ findings of every linked Region)',
  },
  verboseAudit: {
    env: 'VERBOSE_AUDIT',
    functions: EVERY_FUNCTION,
    flag: '--verbose',
    flagScope: 'global',
    context: true,
    kind: 'boolean',
    schema: booleanValue,
    defaultText: 'false',
    description: 'also log `compliant` repositories (otherwise they are only counted)',
  },
  checkCreationTemplates: {
    env: 'CHECK_CREATION_TEMPLATES',
    functions: EVERY_FUNCTION,
    flag: '--check-templates',
    flagScope: 'sweep',
    context: true,
    kind: 'boolean',
    schema: booleanValue,
    defaultText: 'false',
    description:
      'a full sweep first checks every repository creation template and sets non-compliant ones (not in dry-run), so repositories ECR creates itself are born compliant',
  },
  sweepConcurrency: {
    env: 'SWEEP_CONCURRENCY',
    functions: ['sweep'],
    envWhen: 'given',
    flag: '--concurrency <n>',
    flagScope: 'sweep',
    context: true,
    kind: 'integer',
    schema: z._default(integer(1, 64), 4),
    defaultText: '4',
    description: 'repositories decided in parallel by the sweep (1–64; backs off under throttling)',
  },
  sweepSafetyMarginMs: {
    env: 'SWEEP_SAFETY_MARGIN_MS',
    functions: ['sweep'],
    envWhen: 'given',
    // The construct takes a Duration (`sweepSafetyMargin`).
    prop: 'sweepSafetyMargin',
    kind: 'integer',
    schema: z._default(integer(0, 900_000), 30_000),
    defaultText: '30000',
    description: 'the sweep stops starting work when less time than this is left (ms)',
  },
  connectTimeoutMs: {
    env: 'SDK_CONNECT_TIMEOUT_MS',
    flag: '--connect-timeout <ms>',
    flagScope: 'global',
    prop: false,
    kind: 'integer',
    schema: z._default(integer(100, 60_000), CONNECT_TIMEOUT_MS),
    defaultText: String(CONNECT_TIMEOUT_MS),
    description: 'time to open a connection to an AWS endpoint before the attempt fails (and is retried)',
  },
  requestTimeoutMs: {
    env: 'SDK_REQUEST_TIMEOUT_MS',
    flag: '--request-timeout <ms>',
    flagScope: 'global',
    prop: false,
    kind: 'integer',
    schema: z._default(integer(100, 300_000), REQUEST_TIMEOUT_MS),
    defaultText: String(REQUEST_TIMEOUT_MS),
    description: 'time an AWS call may wait for its response before the attempt fails (and is retried)',
  },
  callTimeoutMs: {
    env: 'SDK_CALL_TIMEOUT_MS',
    flag: '--call-timeout <ms>',
    flagScope: 'global',
    prop: false,
    kind: 'integer',
    schema: z._default(integer(1_000, 900_000), CALL_TIMEOUT_MS),
    defaultText: String(CALL_TIMEOUT_MS),
    description:
      'the most one AWS call may take, every attempt and backoff included: an endpoint that does not answer fails after this, naming it, and nothing retries the call again (ms; in the functions never past the invocation’s deadline)',
  },
  maxAttempts: {
    env: 'AWS_MAX_ATTEMPTS',
    prop: false,
    kind: 'integer',
    schema: z.optional(integer(1, 20)),
    defaultText: '5 (guardrail), 8 (sweep, CLI)',
    description: 'the SDK’s own variable: attempts per AWS call, the first included',
  },
  retryMode: {
    env: 'AWS_RETRY_MODE',
    prop: false,
    kind: 'choice',
    choices: RETRY_MODES,
    schema: z._default(choice(RETRY_MODES), 'adaptive'),
    defaultText: 'adaptive',
    description:
      'the SDK’s own variable; adaptive mode backs off and rate-limits client-side, as suits ECR’s rate-based throttling',
  },
  serviceName: {
    env: 'POWERTOOLS_SERVICE_NAME',
    functions: EVERY_FUNCTION,
    kind: 'text',
    schema: z._default(nonEmptyText(255), 'ecr-immutability-guard'),
    defaultText: 'ecr-immutability-guard',
    description: 'service name in logs, `service` metric dimension',
  },
  metricsNamespace: {
    env: 'POWERTOOLS_METRICS_NAMESPACE',
    functions: EVERY_FUNCTION,
    kind: 'text',
    schema: z._default(nonEmptyText(255), 'EcrImmutabilityGuard'),
    defaultText: 'EcrImmutabilityGuard',
    description: 'CloudWatch namespace of the outcome metrics',
  },
  logLevel: {
    env: 'POWERTOOLS_LOG_LEVEL',
    functions: EVERY_FUNCTION,
    context: true,
    kind: 'choice',
    choices: LOG_LEVELS,
    fromText: (text) => text.toUpperCase(),
    schema: z._default(choice(LOG_LEVELS), 'INFO'),
    defaultText: 'INFO',
    description: 'log level (the CDK construct accepts TRACE to ERROR, which Lambda’s log controls share)',
  },
  // Deploy-time settings of the CDK construct and app: no environment variable.
  logRetentionDays: {
    prop: 'logRetention',
    context: true,
    kind: 'integer',
    schema: z.optional(
      z.number().check(
        z.refine((days) => LOG_RETENTION_DAYS.some((allowed) => allowed === days), {
          error: (issue) => `${String(issue.input)} is not a CloudWatch Logs retention (days)`,
        }),
      ),
    ),
    defaultText: '90',
    description: 'retention of the log groups (they hold the audit records)',
  },
  schedule: {
    prop: false,
    context: true,
    kind: 'text',
    schema: z.optional(
      z
        .string()
        .check(
          z.refine(
            (value) => /^(rate|cron)\(.+\)$/.test(value) || ['off', 'false', 'none'].includes(value),
            'must be rate(...), cron(...) or off',
          ),
        ),
    ),
    defaultText: 'rate(1 day)',
    description: 'schedule of the sweep, or `off` (backfills still work)',
  },
  guardrailReservedConcurrency: {
    context: true,
    kind: 'integer',
    fromText: (text) =>
      ['none', 'false', 'off'].includes(text.toLowerCase()) ? false : integerFromText(text),
    schema: z.optional(
      z
        .union([z.literal(false), z.number()])
        .check(
          z.refine(
            (value) => value === false || (Number.isInteger(value) && value >= 1),
            'must be a positive integer, or none (false) to reserve none',
          ),
        ),
    ),
    defaultText: '–',
    description:
      'reserved concurrency of the guardrail; unset by default (new accounts, limited to 10, cannot reserve any). Set it where other workloads could starve the guardrail or to cap its ECR call rate',
  },
  alarmEmail: {
    context: true,
    kind: 'text',
    schema: z.optional(z.string().check(z.regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, 'must be an email address'))),
    defaultText: '–',
    description: 'email address subscribed to the alarm topic',
  },
  createTrail: {
    context: true,
    kind: 'boolean',
    schema: z.optional(z.boolean('must be true or false')),
    defaultText: 'false',
    description:
      'create a multi-Region CloudTrail trail (EventBridge sees ECR calls only while a trail logs)',
  },
  // Deploy-time settings of the construct's monitoring, tracing and trail.
  createAlarms: {
    context: true,
    kind: 'boolean',
    schema: z.optional(z.boolean('must be true or false')),
    defaultText: 'true',
    description:
      'create the CloudWatch alarms; without `alarmEmail` or an alarm topic they notify nobody and synthesis warns',
  },
  sweepHeartbeatHours: {
    context: true,
    kind: 'integer',
    schema: z.optional(integer(1, 168)),
    defaultText: 'schedule rate + execution timeout',
    description:
      'hours within which a sweep must have succeeded before the heartbeat alarm fires (a cron schedule counts as daily)',
  },
  activeTracing: {
    context: true,
    kind: 'boolean',
    schema: z.optional(z.boolean('must be true or false')),
    defaultText: 'false',
    description: 'X-Ray active tracing on both functions (grants the X-Ray write actions)',
  },
  trailHomeRegion: {
    context: true,
    kind: 'text',
    schema: z.optional(
      z.string().check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'must be a Region name such as eu-west-1')),
    ),
    defaultText: '–',
    description:
      'with `createTrail`: the one Region whose stack creates the trail; stacks in other Regions do not (needs the stack’s `env.region`)',
  },
  trailRetentionDays: {
    context: true,
    kind: 'integer',
    schema: z.optional(integer(1, 3653)),
    defaultText: '365',
    description: 'days the trail bucket keeps log files (incomplete uploads are aborted after 7 days)',
  },
  // Organisation scope (lib/scope.ts, lib/credentials.ts, lib/org-sweep.ts).
  organization: {
    env: 'ORGANIZATION_MODE',
    functions: EVERY_FUNCTION,
    envWhen: 'members',
    flag: '--org',
    flagScope: 'global',
    context: true,
    kind: 'boolean',
    schema: booleanValue,
    defaultText: 'false',
    description:
      'organisation mode: the sweep covers the ACTIVE accounts of AWS Organizations (suspended or closed ones are listed as skipped) and the guardrail acts on events forwarded from member accounts, each through the member role',
  },
  memberRoleName: {
    env: 'MEMBER_ROLE_NAME',
    functions: EVERY_FUNCTION,
    envWhen: 'members',
    flag: '--role-name <name>',
    flagScope: 'global',
    context: true,
    kind: 'text',
    schema: z._default(
      z
        .string()
        .check(
          z.regex(/^[\w+=,.@-]{1,64}$/, 'must be an IAM role name: 1-64 of letters, digits and +=,.@_-'),
        ),
      'EcrImmutabilityGuardMember',
    ),
    defaultText: 'EcrImmutabilityGuardMember',
    description:
      'the role assumed in each member account (`arn:<partition>:iam::<account>:role/<name>`); it needs the ECR actions the guard uses',
  },
  memberExternalId: {
    env: 'MEMBER_EXTERNAL_ID',
    functions: EVERY_FUNCTION,
    envWhen: 'members',
    flag: '--external-id <id>',
    flagScope: 'global',
    context: true,
    kind: 'text',
    schema: z.optional(
      z.string().check(z.regex(/^[\w+=,.@:/-]{2,1224}$/, 'must be 2-1224 of letters, digits and +=,.@:/_-')),
    ),
    defaultText: '–',
    description: 'external id passed to AssumeRole when the member roles’ trust policy requires one',
  },
  organizationalUnits: {
    env: 'ORGANIZATIONAL_UNITS',
    functions: EVERY_FUNCTION,
    envWhen: 'members',
    flag: '--ou <id>',
    flagScope: 'global',
    repeatable: true,
    context: true,
    kind: 'list',
    schema: z._default(z.array(parentIdSchema), []),
    defaultText: '– (the whole organisation)',
    description:
      'with organisation mode: only the accounts under these OUs or roots (`ou-ab12-cdef3456`, `r-ab12`), walked recursively',
  },
  scopeAccounts: {
    env: 'SCOPE_ACCOUNTS',
    functions: EVERY_FUNCTION,
    envWhen: 'members',
    flag: '--account <id>',
    flagScope: 'global',
    repeatable: true,
    context: true,
    kind: 'list',
    schema: z._default(z.array(accountIdSchema), []),
    defaultText: '–',
    description:
      'accounts to cover: an explicit list without organisation mode, a restriction of the organisation’s accounts with it',
  },
  excludedAccounts: {
    env: 'EXCLUDED_ACCOUNTS',
    functions: EVERY_FUNCTION,
    envWhen: 'members',
    flag: '--exclude-account <id>',
    flagScope: 'global',
    repeatable: true,
    context: true,
    kind: 'list',
    schema: z._default(z.array(accountIdSchema), []),
    defaultText: '–',
    description: 'accounts never acted on (listed as skipped by the sweep, ignored by the guardrail)',
  },
  includeManagementAccount: {
    env: 'INCLUDE_MANAGEMENT_ACCOUNT',
    functions: EVERY_FUNCTION,
    envWhen: 'members',
    flag: '--include-management-account',
    flagScope: 'global',
    context: true,
    kind: 'boolean',
    schema: booleanValue,
    defaultText: 'false',
    description:
      'with organisation mode: sweep the management account too, through the member role deployed there by hand (service-managed StackSets never deploy to it). Off, it is listed as skipped with that reason, unless the caller is the management account itself',
  },
  centralEventBusArn: {
    env: 'CENTRAL_EVENT_BUS_ARN',
    functions: ['sweep'],
    envWhen: 'members',
    // Set by the organisation construct from its own bus.
    prop: false,
    kind: 'text',
    schema: z.optional(
      z
        .string()
        .check(
          z.regex(
            /^arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus\/[\w.\-/]{1,256}$/,
            'must be an event bus ARN (arn:aws:events:<region>:<account>:event-bus/<name>)',
          ),
        ),
    ),
    defaultText: '– (set by the organisation construct)',
    description:
      'the organisation’s central bus: each organisation sweep child first checks that its account-region’s forwarding rule exists, is enabled and targets this bus, and counts it `unguarded` when not',
  },
  scopeRegions: {
    env: 'SCOPE_REGIONS',
    functions: EVERY_FUNCTION,
    envWhen: 'members',
    context: true,
    kind: 'list',
    schema: z._default(z.array(regionSchema), []),
    defaultText: '– (the function’s region)',
    description:
      'regions of the organisation sweep, and the regions the guardrail accepts member events from (the CLI takes `--region`)',
  },
  accountRegionParallelism: {
    env: 'ACCOUNT_REGION_PARALLELISM',
    functions: EVERY_FUNCTION,
    envWhen: 'members',
    flag: '--account-parallelism <n>',
    flagScope: 'global',
    context: true,
    kind: 'integer',
    schema: z._default(integer(1, 64), 4),
    defaultText: '4',
    description:
      'account-regions swept at once in organisation mode (1–64; each keeps its own adaptive concurrency, ECR’s quotas are per account and region)',
  },
} as const satisfies Record<string, SettingRow>;

export type SettingKey = keyof typeof SETTINGS;
/** Every setting's validated value (defaults applied). */
export type SettingValues = { -readonly [K in SettingKey]: z.output<(typeof SETTINGS)[K]['schema']> };

/** The rows as a list, each with its key. */
export function settingRows(): readonly (SettingRow & { readonly key: SettingKey })[] {
  return Object.entries(SETTINGS).map(([key, row]) => ({ ...row, key: key as SettingKey }));
}

/** The flag a row takes on the command line (`--target`), without its argument. */
export function flagName(row: SettingRow): string | undefined {
  return row.flag?.split(' ')[0];
}

/** The CDK prop of a row, or undefined when the construct takes it in another form. */
export function propName(key: SettingKey): string | undefined {
  const row: SettingRow = SETTINGS[key];
  return row.prop === false ? undefined : (row.prop ?? key);
}

/** The `-c` key of a setting the CDK app reads, or undefined. */
export function contextName(key: SettingKey): string | undefined {
  const row: SettingRow = SETTINGS[key];
  return row.context === true ? key : row.context || undefined;
}

function integerFromText(text: string): number {
  return /^[+-]?\d+$/.test(text) ? Number(text) : Number.NaN;
}

/** Marks a value whose text form could not be parsed, with the message to show. */
class TextProblem {
  readonly message: string;
  constructor(message: string) {
    this.message = message;
  }
}

/**
 * Parses a setting's text form (a variable's value, a flag's argument, a `-c` value). An empty text
 * is absent (the default applies).
 */
export function parseText(key: SettingKey, text: string): unknown {
  const row: SettingRow = SETTINGS[key];
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  if (row.fromText !== undefined) return row.fromText(trimmed);
  switch (row.kind) {
    case 'boolean': {
      const lower = trimmed.toLowerCase();
      if (BOOLEAN_SPELLINGS.true.some((spelling) => spelling === lower)) return true;
      if (BOOLEAN_SPELLINGS.false.some((spelling) => spelling === lower)) return false;
      return new TextProblem(
        `must be true or false (or ${[...BOOLEAN_SPELLINGS.true.slice(1), ...BOOLEAN_SPELLINGS.false.slice(1)].join(', ')}), got '${trimmed}'`,
      );
    }
    case 'integer':
      return integerFromText(trimmed);
    case 'list':
      return splitList([trimmed]);
    default:
      return trimmed;
  }
}

/** Every distinct message of a setting's issues, joined: each bad item of a list is named, not only the first. */
function joinMessages(messages: readonly string[]): string {
  // Stryker disable next-line StringLiteral: `'invalid'` emptied is unreachable, a failed parse has at least one issue and every issue a non-empty message; `'; '` emptied, disabled with it, fails `joins the distinct problems of one value with "; "`.
  return [...new Set(messages)].join('; ') || 'invalid';
}

/** The message when one setting's value is bad on its own (rules between settings are checked later). */
export function settingProblem(key: SettingKey, value: unknown): string | undefined {
  if (value instanceof TextProblem) return value.message;
  const row: SettingRow = SETTINGS[key];
  const result = row.schema.safeParse(value);
  return result.success ? undefined : joinMessages(result.error.issues.map((issue) => issue.message));
}

/** Splits comma-separated items (repeated flags may each hold several), dropping empty ones. */
export function splitList(values: readonly string[]): string[] {
  return values
    .flatMap((value) => value.split(','))
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

/** A setting with a bad value, named the way the user wrote it (a variable, a flag, a prop or a context key). */
export interface SettingIssue {
  readonly key: SettingKey;
  readonly message: string;
}

/** Validation of a partial set of values; the keys not given get their defaults. */
export type SettingsResult =
  | { readonly ok: true; readonly values: SettingValues }
  | { readonly ok: false; readonly issues: readonly SettingIssue[] };

const SettingsSchema = z.object(
  Object.fromEntries(settingRows().map((row) => [row.key, row.schema])) as {
    [K in SettingKey]: (typeof SETTINGS)[K]['schema'];
  },
);

/**
 * Validates values given per setting (already parsed from text, or typed props) and the rules that
 * span settings. `nameOf` names a setting the way the caller's user wrote it, for messages that
 * mention another setting.
 */
export function validateSettings(
  input: Partial<Record<SettingKey, unknown>>,
  nameOf: (key: SettingKey) => string,
): SettingsResult {
  const issues: SettingIssue[] = [];
  for (const [key, value] of Object.entries(input)) {
    if (value instanceof TextProblem) issues.push({ key: key as SettingKey, message: value.message });
  }
  if (issues.length > 0) return { ok: false, issues };
  const result = SettingsSchema.safeParse(input);
  if (!result.success) {
    const byKey = new Map<SettingKey, string[]>();
    for (const issue of result.error.issues) {
      const key = String(issue.path[0]) as SettingKey;
      byKey.set(key, [...(byKey.get(key) ?? []), issue.message]);
    }
    for (const [key, messages] of byKey) issues.push({ key, message: joinMessages(messages) });
    return { ok: false, issues };
  }
  const values = result.data as SettingValues;
  const filters = values.exclusionFilters;
  if (values.targetMutability === 'IMMUTABLE' && filters.length > 0) {
    issues.push({
      key: 'exclusionFilters',
      message: `must be empty unless ${nameOf('targetMutability')} is IMMUTABLE_WITH_EXCLUSION`,
    });
  }
  if (
    values.targetMutability === 'IMMUTABLE_WITH_EXCLUSION' &&
    (filters.length < 1 || filters.length > MAX_EXCLUSION_FILTERS)
  ) {
    issues.push({
      key: 'exclusionFilters',
      message: `IMMUTABLE_WITH_EXCLUSION needs 1 to ${MAX_EXCLUSION_FILTERS} filters, got ${filters.length}`,
    });
  }
  if (values.exemptExpiryTagKey !== undefined && values.exemptTagKey === undefined) {
    issues.push({ key: 'exemptExpiryTagKey', message: `needs ${nameOf('exemptTagKey')} to be set` });
  }
  if (values.exemptExpiryTagKey !== undefined && values.exemptExpiryTagKey === values.exemptTagKey) {
    issues.push({
      key: 'exemptExpiryTagKey',
      message: `must differ from ${nameOf('exemptTagKey')} ('${values.exemptTagKey}'): one tag cannot hold the reason and the expiry`,
    });
  }
  if (values.organizationalUnits.length > 0 && !values.organization) {
    issues.push({ key: 'organizationalUnits', message: `needs ${nameOf('organization')} to be on` });
  }
  if (values.securityHubRegion !== undefined && !values.syncSecurityHub) {
    issues.push({ key: 'securityHubRegion', message: `needs ${nameOf('syncSecurityHub')} to be on` });
  }
  if (values.includeManagementAccount && !values.organization) {
    issues.push({ key: 'includeManagementAccount', message: `needs ${nameOf('organization')} to be on` });
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, values };
}

/** Reads every setting that has an environment variable from `env` (absent or empty: the default). */
export function settingsInputFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): Partial<Record<SettingKey, unknown>> {
  const input: Partial<Record<SettingKey, unknown>> = {};
  for (const row of settingRows()) {
    const raw = row.env === undefined ? undefined : env[row.env];
    if (raw !== undefined) input[row.key] = parseText(row.key, raw);
  }
  return input;
}

/** The environment variable of a setting, or its key when it has none. */
export function envName(key: SettingKey): string {
  const row: SettingRow = SETTINGS[key];
  return row.env ?? key;
}

/** Renders a value as its environment variable expects it (lists comma-separated). */
export function envText(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return value.length === 0 ? undefined : value.join(',');
  return String(value);
}

/** Levenshtein distance, for "did you mean" hints. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    let previous = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const current = row[j] ?? 0;
      row[j] = Math.min(current + 1, (row[j - 1] ?? 0) + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length] ?? 0;
}

/** The candidate closest to `name` (case differences do not count; the first of equals wins), or undefined when none is close. */
export function closest(name: string, candidates: readonly string[]): string | undefined {
  let best: { candidate: string; score: number } | undefined;
  for (const candidate of candidates) {
    const score = distance(name.toLowerCase(), candidate.toLowerCase());
    if (best === undefined || score < best.score) best = { candidate, score };
  }
  return best !== undefined && best.score <= Math.max(2, Math.floor(name.length / 3))
    ? best.candidate
    : undefined;
}

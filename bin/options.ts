/**
 * CLI options, validated with zod. Policy flags are turned into the same variables the Lambda
 * functions read and validated by the same schema (lib/config.ts), so the CLI, the CDK props and
 * the environment can never disagree about what a policy means.
 */
import * as z from 'zod/mini';
import { type GuardConfig, loadConfig } from '../lib/config.ts';
import { ConfigError, InvalidInputError } from '../lib/errors.ts';
import { formatIssues } from '../lib/validation.ts';

export const REGION_PATTERN = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;

/** Options every command takes. */
export const CommonOptionsSchema = z.object({
  region: z.optional(
    z.array(z.string().check(z.regex(REGION_PATTERN, 'must be an AWS region such as eu-west-1'))),
  ),
  profile: z.optional(z.string().check(z.minLength(1))),
  registryId: z.optional(z.string().check(z.regex(/^\d{12}$/, 'must be a 12-digit account id'))),
  json: z._default(z.boolean(), false),
  verbose: z._default(z.boolean(), false),
  dryRun: z._default(z.boolean(), false),
  concurrency: z._default(
    z
      .pipe(
        z.union([z.string(), z.number()]),
        z.transform((value) => Number(value)),
      )
      .check(
        z.refine(
          (value) => Number.isInteger(value) && value >= 1 && value <= 64,
          'must be an integer from 1 to 64',
        ),
      ),
    4,
  ),
  target: z.optional(z.enum(['IMMUTABLE', 'IMMUTABLE_WITH_EXCLUSION'])),
  exclusionFilter: z.optional(z.array(z.string())),
  allowedExclusion: z.optional(z.array(z.string())),
  exemptRepository: z.optional(z.array(z.string())),
  exemptTagKey: z.optional(z.string()),
  exemptExpiryTagKey: z.optional(z.string()),
  checkTemplates: z._default(z.boolean(), false),
});
export type CommonOptions = z.infer<typeof CommonOptionsSchema>;

/** @throws InvalidInputError naming each bad option. */
export function parseCommonOptions(raw: Record<string, unknown>): CommonOptions {
  const result = CommonOptionsSchema.safeParse(raw);
  if (!result.success) {
    throw new InvalidInputError(
      formatIssues(result.error).map(
        (issue) => `--${issue.replace(/([A-Z])/g, (c) => `-${c.toLowerCase()}`)}`,
      ),
    );
  }
  return result.data;
}

/** Builds the shared configuration from the environment overlaid with the policy flags. */
export function configFromOptions(
  options: CommonOptions,
  env: Readonly<Record<string, string | undefined>>,
): GuardConfig {
  const flagVariables: Record<string, string | undefined> = {
    TARGET_MUTABILITY: options.target,
    EXCLUSION_FILTERS: options.exclusionFilter?.join(','),
    ALLOWED_EXCLUSIONS: options.allowedExclusion?.join(','),
    EXEMPT_REPOSITORIES: options.exemptRepository?.join(','),
    EXEMPT_TAG_KEY: options.exemptTagKey,
    EXEMPT_EXPIRY_TAG_KEY: options.exemptExpiryTagKey,
    SWEEP_CONCURRENCY: String(options.concurrency),
    CHECK_CREATION_TEMPLATES: options.checkTemplates ? 'true' : undefined,
  };
  const merged: Record<string, string | undefined> = { ...env };
  for (const [key, value] of Object.entries(flagVariables)) if (value !== undefined) merged[key] = value;
  try {
    return loadConfig(merged);
  } catch (error) {
    if (error instanceof ConfigError) {
      const flag = FLAG_OF_VARIABLE[error.variable];
      throw new InvalidInputError([
        `${flag ?? error.variable}: ${error.message.slice(error.variable.length + 2)}`,
      ]);
    }
    throw error;
  }
}

const FLAG_OF_VARIABLE: Record<string, string> = {
  TARGET_MUTABILITY: '--target',
  EXCLUSION_FILTERS: '--exclusion-filter',
  ALLOWED_EXCLUSIONS: '--allowed-exclusion',
  EXEMPT_REPOSITORIES: '--exempt-repository',
  EXEMPT_TAG_KEY: '--exempt-tag-key',
  EXEMPT_EXPIRY_TAG_KEY: '--exempt-expiry-tag-key',
  SWEEP_CONCURRENCY: '--concurrency',
};

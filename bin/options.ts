/**
 * CLI options, validated with zod. The policy flags are rows of lib/settings.ts: each is parsed and
 * validated by the same schema as its environment variable and its CDK prop, so the CLI, the CDK
 * props and the environment can never disagree about what a setting means. Errors name the flag
 * the user typed (or the variable, when the value came from the environment).
 */
import { type Command, Option } from 'commander';
import * as z from 'zod/mini';
import { configFromInput, type GuardConfig } from '../lib/config.ts';
import { ConfigError, InvalidInputError } from '../lib/errors.ts';
import { repositoryNameSchema } from '../lib/names.ts';
import {
  envName,
  type FlagScope,
  flagName,
  parseText,
  SETTINGS,
  type SettingKey,
  type SettingRow,
  settingProblem,
  settingRows,
  settingsInputFromEnv,
  splitList,
} from '../lib/settings.ts';

export const REGION_PATTERN = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;
const REGION_MESSAGE = 'must be an AWS region such as eu-west-1';
export const ENDPOINT_URL_MESSAGE =
  'must be an http:// or https:// URL such as https://ecr.eu-west-1.amazonaws.com';

/** Why `text` is not an endpoint URL the SDK can call (undefined when it is one). */
export function endpointUrlProblem(text: string): string | undefined {
  if (/\s/.test(text)) return 'it contains white space';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'it is not a URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `the scheme is ${url.protocol}`;
  if (url.hostname === '') return 'it names no host';
  if (url.username !== '' || url.password !== '') return 'it carries a user name or password';
  if (url.search !== '' || url.hash !== '') return 'it has a query or a fragment';
  return undefined;
}

/** The options only the CLI has (not settings of the functions), each with its flag for messages. */
const CliOptionsSchema = z.object({
  region: z.optional(z.array(z.string().check(z.regex(REGION_PATTERN, REGION_MESSAGE)))),
  profile: z.optional(z.string().check(z.minLength(1, 'must not be empty'))),
  registryId: z.optional(z.string().check(z.regex(/^\d{12}$/, 'must be a 12-digit account id'))),
  endpointUrl: z.optional(
    z.string().check(
      z.refine((text) => endpointUrlProblem(text) === undefined, {
        error: (issue) => `${ENDPOINT_URL_MESSAGE} (${endpointUrlProblem(String(issue.input)) ?? 'invalid'})`,
      }),
    ),
  ),
  retryFailedFrom: z.optional(z.string().check(z.regex(/^s3:\/\//, 'must be an s3:// URI'))),
  json: z._default(z.boolean(), false),
});

const CLI_FLAGS: Record<keyof typeof CliOptionsSchema.shape, string> = {
  region: '--region',
  profile: '--profile',
  registryId: '--registry-id',
  endpointUrl: '--endpoint-url',
  retryFailedFrom: '--retry-failed-from',
  json: '--json',
};

/** commander's attribute name of a flag: `--exclusion-filter` → `exclusionFilter`. */
export function attributeOf(flag: string): string {
  return flag.replace(/^--/, '').replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

/** The setting rows the CLI takes as flags, with commander's attribute name. */
const FLAG_ROWS = settingRows().flatMap((row) => {
  const flag = flagName(row);
  return flag === undefined ? [] : [{ ...row, flag, attribute: attributeOf(flag) }];
});

export interface CommonOptions extends z.infer<typeof CliOptionsSchema> {
  readonly verbose: boolean;
  readonly dryRun: boolean;
  readonly checkTemplates: boolean;
  /** The settings given as flags, parsed (not yet combined with the environment). */
  readonly settings: Partial<Record<SettingKey, unknown>>;
}

/**
 * The repository names given on the command line, checked against ECR's name rule (lib/names.ts) before
 * any call; every bad one is named.
 *
 * @throws InvalidInputError (a usage error).
 */
export function parseRepositoryNames(names: readonly string[]): string[] {
  const issues = names.flatMap((name) => {
    const result = repositoryNameSchema.safeParse(name);
    if (result.success) return [];
    const reasons = [...new Set(result.error.issues.map((issue) => issue.message))].join('; ');
    return [`repository name '${name}': ${reasons}`];
  });
  if (issues.length > 0) throw new InvalidInputError(issues);
  return [...names];
}

/** Parses the value commander collected for a setting's flag. */
function flagValue(row: SettingRow & { key: SettingKey }, raw: unknown): unknown {
  if (raw === undefined) return undefined;
  if (typeof raw === 'boolean') return raw;
  if (Array.isArray(raw)) return splitList(raw.map(String));
  return parseText(row.key, String(raw));
}

/** @throws InvalidInputError naming each bad option by its flag. */
export function parseCommonOptions(raw: Record<string, unknown>): CommonOptions {
  const issues: string[] = [];
  const cli = CliOptionsSchema.safeParse({
    region: raw.region,
    profile: raw.profile,
    registryId: raw.registryId,
    endpointUrl: raw.endpointUrl,
    retryFailedFrom: raw.retryFailedFrom,
    json: raw.json === true,
  });
  if (!cli.success) {
    // Every issue: each bad item of a repeated flag is named, not only the first.
    for (const issue of cli.error.issues) {
      const key = String(issue.path[0]);
      const flag = Object.entries(CLI_FLAGS).find(([name]) => name === key)?.[1] ?? `--${key}`;
      const given = issue.path.reduce<unknown>(
        (value, part) => (typeof value === 'object' && value !== null ? Reflect.get(value, part) : undefined),
        raw,
      );
      const input = typeof given === 'string' ? `, got '${given}'` : '';
      issues.push(`${flag}: ${issue.message}${input}`);
    }
  }
  const settings: Partial<Record<SettingKey, unknown>> = {};
  for (const row of FLAG_ROWS) {
    const value = flagValue(row, raw[row.attribute]);
    if (value === undefined) continue;
    const problem = settingProblem(row.key, value);
    if (problem !== undefined) issues.push(`${row.flag}: ${problem}`);
    else settings[row.key] = value;
  }
  if (issues.length > 0 || !cli.success) throw new InvalidInputError(issues);
  return {
    ...cli.data,
    verbose: raw.verbose === true,
    dryRun: raw.dryRun === true,
    checkTemplates: raw.checkTemplates === true,
    settings,
  };
}

/**
 * The configuration from the environment overlaid with the flags, validated together. A problem is named
 * by the flag when the value came from a flag, by the variable when it came from the environment.
 *
 * @throws InvalidInputError naming the flag or variable.
 */
export function configFromOptions(
  options: CommonOptions,
  env: Readonly<Record<string, string | undefined>>,
): GuardConfig {
  const fromEnv = settingsInputFromEnv(env);
  const fromFlags = new Set(Object.keys(options.settings));
  // A value from the environment is named by its variable; one from a flag, or one not given, by its flag.
  const nameOf = (key: SettingKey): string => {
    const flag = flagName(SETTINGS[key]);
    return flag === undefined || (key in fromEnv && !fromFlags.has(key)) ? envName(key) : flag;
  };
  try {
    return configFromInput({ ...fromEnv, ...options.settings }, nameOf);
  } catch (error) {
    if (error instanceof ConfigError) throw new InvalidInputError([error.message]);
    throw error;
  }
}

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

/** The commander option of a setting row: its flag, its description and variable, its choices. */
export function settingOption(key: SettingKey): Option {
  const row: SettingRow = SETTINGS[key];
  if (row.flag === undefined) throw new Error(`setting ${key} has no CLI flag`);
  const description = [
    row.description.replaceAll('`', ''),
    row.repeatable === true ? '; repeatable' : '',
    row.env === undefined ? '' : ` [env: ${row.env}]`,
  ].join('');
  const option = new Option(row.flag, description);
  if (row.choices !== undefined) option.choices(row.choices);
  if (row.repeatable === true) option.argParser(collect);
  return option;
}

/** The options of every setting the CLI takes in `scope`. */
export function settingOptions(scope: FlagScope): Option[] {
  return settingRows()
    .filter((row) => row.flag !== undefined && row.flagScope === scope)
    .map((row) => settingOption(row.key));
}

/** Adds to `command` the options of every setting whose flag scope is one of `scopes` (lib/settings.ts `flagScope`). */
export function withSettingOptions(command: Command, ...scopes: readonly FlagScope[]): Command {
  for (const option of scopes.flatMap(settingOptions)) command.addOption(option);
  return command;
}

/**
 * Every usage problem of a command named at once: `attempt` runs one parsing step and keeps the issues of
 * the {@link InvalidInputError} it throws (undefined is its result then); any other error passes through.
 */
export function collectUsageIssues(): {
  readonly issues: string[];
  readonly attempt: <T>(step: () => T) => T | undefined;
} {
  const issues: string[] = [];
  const attempt = <T>(step: () => T): T | undefined => {
    try {
      return step();
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      issues.push(...error.issues);
      return undefined;
    }
  };
  return { issues, attempt };
}

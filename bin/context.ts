/**
 * Where the CLI's calls go, checked before the first one: the regions as the AWS CLI resolves them, the
 * named profile, the endpoint URLs, and the limits every SDK client of a run shares (lib/call-limits.ts:
 * one time limit per call, a quick failure where nothing listens).
 */
import { ECRClient } from '@aws-sdk/client-ecr';
import { loadSharedConfigFiles } from '@smithy/core/config';
import { type ClientHook, failFastWhenUnreachable, limitCallTime } from '../lib/call-limits.ts';
import type { GuardConfig } from '../lib/config.ts';
import { InvalidInputError } from '../lib/errors.ts';
import { closest, envName } from '../lib/settings.ts';
import { type CommonOptions, ENDPOINT_URL_MESSAGE, endpointUrlProblem, REGION_PATTERN } from './options.ts';

type Env = Readonly<Record<string, string | undefined>>;

const MISSING_REGION =
  'no region: pass --region eu-west-1, set AWS_REGION (or AWS_DEFAULT_REGION), or configure one in your profile (aws configure set region eu-west-1)';

/**
 * The regions to act on, with the AWS CLI's precedence: `--region`, AWS_REGION, AWS_DEFAULT_REGION,
 * then the profile's region (the SDK reads it from the shared config file).
 *
 * @throws InvalidInputError (a usage error) when no region is configured or one is malformed.
 */
export async function regionsOf(options: CommonOptions, env: Env = process.env): Promise<string[]> {
  if (options.region !== undefined && options.region.length > 0) return [...new Set(options.region)];
  for (const variable of ['AWS_REGION', 'AWS_DEFAULT_REGION'] as const) {
    const region = env[variable]?.trim();
    if (region === undefined || region === '') continue;
    if (!REGION_PATTERN.test(region)) {
      throw new InvalidInputError([`${variable}: must be an AWS region such as eu-west-1, got '${region}'`]);
    }
    return [region];
  }
  const client = new ECRClient({ profile: options.profile });
  try {
    const region = await client.config.region();
    if (typeof region !== 'string' || region === '') throw new InvalidInputError([MISSING_REGION]);
    return [region];
  } catch (error) {
    if (error instanceof InvalidInputError) throw error;
    throw new InvalidInputError([MISSING_REGION], { cause: error });
  } finally {
    client.destroy();
  }
}

/**
 * The endpoint variables the SDK reads for the services the CLI calls
 * (https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html).
 */
const ENDPOINT_VARIABLES = [
  'AWS_ENDPOINT_URL',
  'AWS_ENDPOINT_URL_ECR',
  'AWS_ENDPOINT_URL_STS',
  'AWS_ENDPOINT_URL_ORGANIZATIONS',
  'AWS_ENDPOINT_URL_CLOUDTRAIL',
  // The audit sinks': the audit bus and Security Hub.
  'AWS_ENDPOINT_URL_EVENTBRIDGE',
  'AWS_ENDPOINT_URL_SECURITYHUB',
] as const;

/** Problems of the endpoint variables in `env`, each naming its variable and value. */
function endpointVariableProblems(env: Env): string[] {
  if (env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS?.toLowerCase() === 'true') return [];
  return ENDPOINT_VARIABLES.flatMap((variable) => {
    const value = env[variable];
    if (value === undefined || value === '') return [];
    const problem = endpointUrlProblem(value);
    return problem === undefined ? [] : [`${variable}: ${ENDPOINT_URL_MESSAGE}, got '${value}' (${problem})`];
  });
}

/** The problem of `--profile`: a name neither shared file has a section for. */
async function profileProblem(profile: string | undefined, env: Env): Promise<string | undefined> {
  if (profile === undefined) return undefined;
  let files: Awaited<ReturnType<typeof loadSharedConfigFiles>>;
  try {
    files = await loadSharedConfigFiles({
      ignoreCache: true,
      ...(env.AWS_SHARED_CREDENTIALS_FILE ? { filepath: env.AWS_SHARED_CREDENTIALS_FILE } : {}),
      ...(env.AWS_CONFIG_FILE ? { configFilepath: env.AWS_CONFIG_FILE } : {}),
    });
  } catch (error) {
    return `the shared config files could not be read (${error instanceof Error ? error.message : String(error)})`;
  }
  const known = [...new Set([...Object.keys(files.configFile), ...Object.keys(files.credentialsFile)])];
  if (known.includes(profile)) return undefined;
  const hint = closest(profile, known);
  const where = `${env.AWS_CONFIG_FILE || '~/.aws/config'} or ${env.AWS_SHARED_CREDENTIALS_FILE || '~/.aws/credentials'}`;
  return `no profile '${profile}' in ${where}${hint === undefined ? '' : ` (did you mean '${hint}'?)`}`;
}

/**
 * Checks what the SDK would only find out on the first call: a `--profile` that does not exist and
 * endpoint variables that are not URLs. Every problem is named.
 *
 * @throws InvalidInputError (a usage error).
 */
export async function checkCallSetup(options: CommonOptions, env: Env): Promise<void> {
  const problems = endpointVariableProblems(env);
  const profile = await profileProblem(options.profile, env);
  if (profile !== undefined) problems.unshift(`--profile: ${profile}`);
  if (problems.length > 0) throw new InvalidInputError(problems);
}

/**
 * The limits of every SDK client of a CLI run: each call fails after the call time limit, named by the flag
 * or variable that set it, and an endpoint nobody listens on fails after two tries.
 */
export function cliClientLimits(options: CommonOptions, config: GuardConfig, env: Env): ClientHook {
  const fromEnv = Boolean(env[envName('callTimeoutMs')]) && options.settings.callTimeoutMs === undefined;
  const limit = {
    timeoutMs: config.sdk.callTimeoutMs,
    setting: fromEnv ? envName('callTimeoutMs') : '--call-timeout',
  };
  return (client) => {
    limitCallTime(client, limit);
    failFastWhenUnreachable(client);
  };
}

/**
 * SDK clients for the CLI: the standard credential chain, `--profile`, `--endpoint-url` and
 * AWS_ENDPOINT_URL_ECR, the regions as the AWS CLI resolves them, and the timeouts and retries
 * every client shares (lib/aws-client-config.ts).
 */
import { ECRClient } from '@aws-sdk/client-ecr';
import { awsClientConfig } from '../lib/aws-client-config.ts';
import { createEcrAdapter, type EcrAdapter, failFastWhenUnreachable } from '../lib/ecr.ts';
import { InvalidInputError } from '../lib/errors.ts';
import { type CommonOptions, configFromOptions, REGION_PATTERN } from './options.ts';

const MISSING_REGION =
  'no region: pass --region eu-west-1, set AWS_REGION (or AWS_DEFAULT_REGION), or configure one in your profile (aws configure set region eu-west-1)';

/**
 * The regions to act on, with the AWS CLI's precedence: `--region`, AWS_REGION, AWS_DEFAULT_REGION,
 * then the profile's region (the SDK reads it from the shared config file).
 *
 * @throws InvalidInputError (a usage error) when no region is configured or one is malformed.
 */
export async function regionsOf(
  options: CommonOptions,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<string[]> {
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

export function ecrFor(
  region: string,
  options: CommonOptions,
  env: Readonly<Record<string, string | undefined>>,
): { ecr: EcrAdapter; close: () => void } {
  const { sdk } = configFromOptions(options, env);
  const client = new ECRClient(
    awsClientConfig(sdk, {
      region,
      profile: options.profile,
      endpoint: options.endpointUrl,
      defaultMaxAttempts: 8,
    }),
  );
  // A wrong endpoint or region fails in well under a second instead of 16 s of silent retries.
  failFastWhenUnreachable(client);
  return { ecr: createEcrAdapter(client), close: () => client.destroy() };
}

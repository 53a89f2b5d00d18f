/** SDK clients for the CLI: the standard credential chain, `--profile`, and AWS_ENDPOINT_URL_ECR. */
import { ECRClient } from '@aws-sdk/client-ecr';
import { createEcrAdapter, type EcrAdapter, failFastWhenUnreachable } from '../lib/ecr.ts';
import type { CommonOptions } from './options.ts';

export async function regionsOf(options: CommonOptions): Promise<string[]> {
  if (options.region !== undefined && options.region.length > 0) return [...new Set(options.region)];
  const client = new ECRClient({ profile: options.profile });
  try {
    return [await client.config.region()];
  } finally {
    client.destroy();
  }
}

export function ecrFor(
  region: string,
  options: CommonOptions,
  env: Readonly<Record<string, string | undefined>>,
): { ecr: EcrAdapter; close: () => void } {
  // Adaptive retries back off and rate-limit client-side under throttling; AWS_MAX_ATTEMPTS / AWS_RETRY_MODE override.
  const maxAttempts = env.AWS_MAX_ATTEMPTS ? undefined : 8;
  const retryMode = env.AWS_RETRY_MODE ? undefined : 'adaptive';
  const client = new ECRClient({ region, profile: options.profile, retryMode, maxAttempts });
  // A wrong endpoint or region fails in well under a second instead of 16 s of silent retries.
  failFastWhenUnreachable(client);
  return { ecr: createEcrAdapter(client), close: () => client.destroy() };
}

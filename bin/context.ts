/** SDK clients for the CLI: the standard credential chain, `--profile`, and AWS_ENDPOINT_URL_ECR. */
import { ECRClient } from '@aws-sdk/client-ecr';
import { createEcrAdapter, type EcrAdapter } from '../lib/ecr.ts';
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

export function ecrFor(region: string, options: CommonOptions): { ecr: EcrAdapter; close: () => void } {
  const client = new ECRClient({ region, profile: options.profile, retryMode: 'adaptive', maxAttempts: 8 });
  return { ecr: createEcrAdapter(client), close: () => client.destroy() };
}

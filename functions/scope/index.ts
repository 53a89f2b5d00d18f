/**
 * Lambda entry point of "list the scope" and "summarise the results" (the organisation sweep's first and
 * last steps; see ./handler.ts). A bundle of its
 * own, so the S3 client never weighs on the sweep's cold start. Thin: wiring only.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { S3Client } from '@aws-sdk/client-s3';
import middy from '@middy/core';
import { awsClientConfig } from '../../lib/aws-client-config.ts';
import type { OrganizationLister } from '../../lib/scope.ts';
import { createResultReader, createScopeItemWriter } from '../../lib/scope-items.ts';
import { failingHandler, startRuntime } from '../shared/runtime.ts';
import { createScopeHandler } from './handler.ts';

const startup = await startRuntime(process.env, { maxAttempts: 8 });

function wire() {
  if (!startup.ok) return failingHandler(startup.error);
  const { runtime } = startup;
  const clientConfig = awsClientConfig(runtime.config.sdk, { region: runtime.region, defaultMaxAttempts: 8 });
  const s3 = new S3Client(clientConfig);
  const writer = createScopeItemWriter(s3);
  const reader = createResultReader(s3);
  let lister: Promise<OrganizationLister> | undefined;
  return middy(
    createScopeHandler({
      config: runtime.config,
      logger: runtime.logger,
      // SkippedAccounts: single-metric documents, written as they are added (no flush middleware needed).
      metrics: runtime.metrics,
      region: runtime.region,
      lister: () => {
        // Organizations is throttle-aware like ECR: adaptive retries whatever AWS_RETRY_MODE says.
        lister ??= Promise.all([
          import('@aws-sdk/client-organizations'),
          import('../../lib/organizations.ts'),
        ]).then(([{ OrganizationsClient }, { createOrganizationsAdapter }]) =>
          createOrganizationsAdapter(new OrganizationsClient({ ...clientConfig, retryMode: 'adaptive' })),
        );
        return lister;
      },
      writer: async () => writer,
      reader: async () => reader,
    }),
  ).use(injectLambdaContext(runtime.logger, { resetKeys: true }));
}

export const handler = wire();

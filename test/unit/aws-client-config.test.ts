/** Every SDK client gets bounded timeouts: an endpoint that accepts and never answers cannot hang a call. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DescribeRepositoriesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsClientConfig } from '../../lib/aws-client-config.ts';
import { loadConfig } from '../../lib/config.ts';

describe('the shared SDK client configuration against a hung endpoint', () => {
  let server: Server;
  let endpoint: string;
  let requests = 0;

  beforeAll(async () => {
    // Reads the request, then never answers.
    server = createServer((request) => {
      requests += 1;
      request.resume();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const config = () =>
    awsClientConfig(loadConfig({ SDK_REQUEST_TIMEOUT_MS: '300', AWS_RETRY_MODE: 'standard' }).sdk, {
      defaultMaxAttempts: 2,
      region: 'eu-west-1',
      endpoint,
    });

  it.each([
    ['ECR', () => new ECRClient(config()).send(new DescribeRepositoriesCommand({}))],
    [
      'EventBridge',
      () =>
        new EventBridgeClient(config()).send(
          new PutEventsCommand({ Entries: [{ Source: 's', DetailType: 'd', Detail: '{}' }] }),
        ),
    ],
  ])('times an %s call out and retries it, then fails with TimeoutError', async (_service, call) => {
    requests = 0;
    const started = Date.now();
    const error = await call().catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: 'TimeoutError' });
    expect(requests).toBe(2);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

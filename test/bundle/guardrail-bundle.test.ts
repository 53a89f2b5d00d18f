/**
 * The bundle is what ships: import dist/guardrail/index.mjs and run its handler against a
 * loopback stub that answers ECR's JSON protocol, reached only through AWS_ENDPOINT_URL_ECR.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadSampleEvent } from '../helpers/fixtures.ts';
import { fakeContext, loadBundle, restoreBundleEnv } from '../helpers/lambda.ts';

interface StubCall {
  target: string;
  body: Record<string, unknown>;
  authorization: string | undefined;
}

async function readBody(request: IncomingMessage): Promise<Record<string, unknown>> {
  let raw = '';
  for await (const chunk of request) raw += String(chunk);
  return raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
}

describe('dist/guardrail/index.mjs', () => {
  const calls: StubCall[] = [];
  let server: Server;
  let endpoint: string;

  beforeAll(async () => {
    server = createServer(async (request, response) => {
      const target = String(request.headers['x-amz-target'] ?? '');
      const body = await readBody(request);
      calls.push({ target, body, authorization: request.headers.authorization });
      response.setHeader('content-type', 'application/x-amz-json-1.1');
      if (target.endsWith('.DescribeRepositories')) {
        response.end(
          JSON.stringify({
            repositories: [
              {
                repositoryName: 'payments/api',
                repositoryArn: 'arn:aws:ecr:eu-west-1:123456789012:repository/payments/api',
                registryId: '123456789012',
                imageTagMutability: 'MUTABLE',
              },
            ],
          }),
        );
      } else if (target.endsWith('.PutImageTagMutability')) {
        response.end(JSON.stringify({ ...body, registryId: '123456789012' }));
      } else {
        response.statusCode = 400;
        response.end(JSON.stringify({ __type: 'UnknownOperationException', message: target }));
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(() => restoreBundleEnv());

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('exports a handler that remediates a CreateRepository event with 1 describe and 1 put', async () => {
    // Prepare
    calls.length = 0;
    const handler = await loadBundle('guardrail', {
      AWS_ENDPOINT_URL_ECR: endpoint,
      AWS_REGION: 'eu-west-1',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    });
    // Act
    const summary = await handler(loadSampleEvent('create-repository-default-mutable.json'), fakeContext());
    // Assess
    expect(calls.map((call) => call.target)).toEqual([
      'AmazonEC2ContainerRegistry_V20150921.DescribeRepositories',
      'AmazonEC2ContainerRegistry_V20150921.PutImageTagMutability',
    ]);
    expect(calls[1]?.body).toEqual({
      registryId: '123456789012',
      repositoryName: 'payments/api',
      imageTagMutability: 'IMMUTABLE',
    });
    expect(calls[0]?.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=test\/\d{8}\/eu-west-1\/ecr\/aws4_request/,
    );
    expect(summary).toMatchObject({ counts: { remediated: 1 }, records: [{ outcome: 'remediated' }] });
  });

  it('makes no call in dry-run beyond the describe', async () => {
    calls.length = 0;
    const handler = await loadBundle('guardrail', {
      AWS_ENDPOINT_URL_ECR: endpoint,
      DRY_RUN: 'true',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    });
    const summary = await handler(loadSampleEvent('create-repository-default-mutable.json'), fakeContext());
    expect(calls.map((call) => call.target)).toEqual([
      'AmazonEC2ContainerRegistry_V20150921.DescribeRepositories',
    ]);
    expect(summary).toMatchObject({ counts: { 'would-remediate': 1 } });
  });

  it('rejects a malformed event with InvalidEventError before any call', async () => {
    calls.length = 0;
    const handler = await loadBundle('guardrail', {
      AWS_ENDPOINT_URL_ECR: endpoint,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    });
    const error = await handler(
      loadSampleEvent('malformed-missing-repository-name.json'),
      fakeContext(),
    ).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: 'InvalidEventError' });
    expect(calls).toEqual([]);
  });
});

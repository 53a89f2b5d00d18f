import { DescribeRepositoriesCommand, ECRClient } from '@aws-sdk/client-ecr';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  awsJsonHeaders,
  rawCall,
  startTestEmulator,
  TEST_CREDENTIALS,
  type TestEmulator,
} from './helpers.ts';

const ECR = 'AmazonEC2ContainerRegistry_V20150921';

let emulator: TestEmulator;

beforeAll(async () => {
  emulator = await startTestEmulator({ maxBodyBytes: 64 * 1024 });
});

afterAll(async () => {
  await emulator.stop();
});

beforeEach(async () => {
  await emulator.admin.reset();
});

describe('AWS JSON 1.1 wire protocol', () => {
  it('answers in application/x-amz-json-1.1 with a request ID', async () => {
    const response = await fetch(`${emulator.url}/`, {
      method: 'POST',
      headers: awsJsonHeaders(`${ECR}.DescribeRepositories`),
      body: '{}',
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(response.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
    expect(await response.json()).toEqual({ repositories: [] });
  });

  it('rejects a request without an Authorization header with MissingAuthenticationTokenException', async () => {
    const { authorization: _, ...unsigned } = awsJsonHeaders(`${ECR}.DescribeRepositories`);
    const reply = await rawCall(emulator.url, unsigned, '{}');
    expect(reply).toMatchObject({
      status: 403,
      body: {
        __type: 'MissingAuthenticationTokenException',
        message: 'Request is missing Authentication Token',
      },
    });
  });

  it('rejects an Authorization header without a credential scope with IncompleteSignatureException', async () => {
    const headers = {
      ...awsJsonHeaders(`${ECR}.DescribeRepositories`),
      authorization: 'AWS4-HMAC-SHA256 garbage',
    };
    const reply = await rawCall(emulator.url, headers, '{}');
    expect(reply).toMatchObject({ status: 400, body: { __type: 'IncompleteSignatureException' } });
  });

  it('takes the region from the SigV4 credential scope', async () => {
    const reply = await rawCall(
      emulator.url,
      awsJsonHeaders(`${ECR}.CreateRepository`, 'ap-southeast-2'),
      JSON.stringify({ repositoryName: 'down-under' }),
    );
    expect(reply.body).toMatchObject({
      repository: { repositoryArn: 'arn:aws:ecr:ap-southeast-2:123456789012:repository/down-under' },
    });
  });

  it.each([
    ['an ECR operation the emulator does not serve', `${ECR}.ListImages`, 'ListImages'],
    ['an operation of another service', 'DynamoDB_20120810.ListTables', 'DynamoDB_20120810.ListTables'],
    ['another EventBridge operation', 'AWSEvents.ListRules', 'AWSEvents.ListRules'],
  ])('answers %s with UnknownOperationException naming it', async (_, target, named) => {
    const reply = await rawCall(emulator.url, awsJsonHeaders(target), '{}');
    expect(reply).toMatchObject({
      status: 400,
      contentType: 'application/x-amz-json-1.1',
      body: { __type: 'UnknownOperationException', message: expect.stringContaining(named) },
    });
  });

  it('answers a request without X-Amz-Target with UnknownOperationException', async () => {
    const { 'x-amz-target': _, ...headers } = awsJsonHeaders('unused');
    const reply = await rawCall(emulator.url, headers, '{}');
    expect(reply).toMatchObject({ status: 400, body: { __type: 'UnknownOperationException' } });
  });

  it.each([
    ['malformed JSON', '{"repositoryName": '],
    ['a JSON array', '[]'],
    ['a JSON string', '"x"'],
  ])('answers %s with SerializationException', async (_, body) => {
    const reply = await rawCall(emulator.url, awsJsonHeaders(`${ECR}.CreateRepository`), body);
    expect(reply).toMatchObject({ status: 400, body: { __type: 'SerializationException' } });
  });

  it.each([
    ['CreateRepository', { repositoryName: 5 }, 'repositoryName'],
    ['DescribeRepositories', { maxResults: '10' }, 'maxResults'],
    ['DescribeRepositories', { repositoryNames: 'one' }, 'repositoryNames'],
    ['DeleteRepository', { repositoryName: 'ab', force: 'yes' }, 'force'],
    ['CreateRepository', { repositoryName: 'ab', tags: [{ Key: 1, Value: 'v' }] }, 'tags[0].Key'],
  ])(
    'answers a wrongly typed member of %s with SerializationException naming it',
    async (operation, body, field) => {
      const reply = await rawCall(emulator.url, awsJsonHeaders(`${ECR}.${operation}`), JSON.stringify(body));
      expect(reply).toMatchObject({
        status: 400,
        body: { __type: 'SerializationException', message: expect.stringContaining(`'${field}'`) },
      });
    },
  );

  it('answers a missing required member with InvalidParameterException naming it', async () => {
    const reply = await rawCall(
      emulator.url,
      awsJsonHeaders(`${ECR}.PutImageTagMutability`),
      '{"repositoryName":"ab"}',
    );
    expect(reply).toMatchObject({
      status: 400,
      body: { __type: 'InvalidParameterException', message: expect.stringContaining("'imageTagMutability'") },
    });
  });

  it('answers an oversized body with 413 and keeps serving', async () => {
    const big = JSON.stringify({ repositoryName: 'big', padding: 'x'.repeat(100 * 1024) });
    const reply = await rawCall(emulator.url, awsJsonHeaders(`${ECR}.CreateRepository`), big);
    expect(reply).toMatchObject({ status: 413, body: { __type: 'RequestEntityTooLargeException' } });
    await expect(emulator.ecr.send(new DescribeRepositoriesCommand({}))).resolves.toMatchObject({
      repositories: [],
    });
  });

  it('answers any JSON body with a result or a client error, never a crash', async () => {
    const operations = [
      'CreateRepository',
      'DescribeRepositories',
      'PutImageTagMutability',
      'TagResource',
      'CreateRepositoryCreationTemplate',
      'DescribeRepositoryCreationTemplates',
      'UpdateRepositoryCreationTemplate',
    ];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...operations), fc.jsonValue(), async (operation, value) => {
        const reply = await rawCall(
          emulator.url,
          awsJsonHeaders(`${ECR}.${operation}`),
          JSON.stringify(value),
        );
        expect(reply.status === 200 || (reply.status === 400 && typeof reply.body.__type === 'string')).toBe(
          true,
        );
      }),
      { numRuns: 150 },
    );
  });

  it('is found by an SDK client through AWS_ENDPOINT_URL_ECR', async () => {
    // Prepare
    const previous = process.env.AWS_ENDPOINT_URL_ECR;
    process.env.AWS_ENDPOINT_URL_ECR = emulator.url;
    await emulator.admin.seed({ repositories: [{ name: 'via-env' }] });

    // Act
    const client = new ECRClient({ region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 });
    const output = await client.send(new DescribeRepositoriesCommand({})).finally(() => {
      client.destroy();
      if (previous === undefined) delete process.env.AWS_ENDPOINT_URL_ECR;
      else process.env.AWS_ENDPOINT_URL_ECR = previous;
    });

    // Assess
    expect(output.repositories?.map((repository) => repository.repositoryName)).toEqual(['via-env']);
  });
});

describe('control routes', () => {
  it('counts calls per operation and outcome, but not seeding', async () => {
    // Prepare
    await emulator.admin.seed({ repositories: [{ name: 'counted' }] });

    // Act
    await emulator.ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['counted'] }));
    await emulator.ecr
      .send(new DescribeRepositoriesCommand({ repositoryNames: ['nope'] }))
      .catch(() => undefined);
    const stats = await emulator.admin.stats();

    // Assess
    expect(stats).toEqual({
      operations: { DescribeRepositories: { calls: 2, ok: 1, errors: { RepositoryNotFoundException: 1 } } },
      total: { calls: 2, ok: 1, errors: { RepositoryNotFoundException: 1 } },
      deliveries: { delivered: 0, failed: 0, pending: 0 },
    });
  });

  it('seeds repositories with tags in either form and lists them', async () => {
    // Act
    const result = await emulator.admin.seed({
      region: 'eu-central-1',
      repositories: [
        { name: 'one', tags: { team: 'a' } },
        {
          name: 'two',
          imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
          imageTagMutabilityExclusionFilters: [{ filter: 'latest', filterType: 'WILDCARD' }],
          tags: [{ Key: 'team', Value: 'b' }],
          imageCount: 2,
        },
      ],
    });
    const listed = await emulator.admin.repositories({ region: 'eu-central-1' });

    // Assess
    expect(result).toEqual({
      account: '123456789012',
      region: 'eu-central-1',
      created: 2,
      replaced: 0,
      total: 2,
    });
    expect(listed.count).toBe(2);
    expect(listed.repositories).toEqual([
      expect.objectContaining({ repositoryName: 'one', imageTagMutability: 'MUTABLE', tags: { team: 'a' } }),
      expect.objectContaining({
        repositoryName: 'two',
        imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
        imageTagMutabilityExclusionFilters: [{ filter: 'latest', filterType: 'WILDCARD' }],
        tags: { team: 'b' },
        imageCount: 2,
      }),
    ]);
  });

  it('generates repositories with a mutable share that is reproducible for a seed', async () => {
    const generate = { count: 1000, prefix: 'gen', mutableRatio: 0.3, seed: 9 };
    await emulator.admin.seed({ region: 'us-west-2', generate });
    await emulator.admin.seed({ region: 'eu-west-3', generate });
    const west = await emulator.admin.repositories({ region: 'us-west-2' });
    const paris = await emulator.admin.repositories({ region: 'eu-west-3' });
    const mutable = west.repositories.filter((repository) => repository.imageTagMutability === 'MUTABLE');
    expect(mutable.length).toBeGreaterThan(200);
    expect(mutable.length).toBeLessThan(400);
    expect(paris.repositories.map((repository) => repository.imageTagMutability)).toEqual(
      west.repositories.map((repository) => repository.imageTagMutability),
    );
    expect(west.repositories[0]?.repositoryName).toBe('gen-0001');
  });

  it.each([
    [{ repositories: [{ name: 'ok' }, { name: 'Bad' }] }, 'repositories[1].name'],
    [{ repositories: [{ name: 'ok', tags: { 'aws:x': 'y' } }] }, 'repositories[0].tags'],
    [{ generate: { count: 0 } }, 'generate.count'],
    [{ generate: { count: 5, prefix: 'Upper' } }, 'generate.prefix'],
    [{ region: 'moon', repositories: [] }, 'moon'],
    [{}, 'repositories'],
  ])('refuses an invalid seed request, naming the field', async (body, named) => {
    const response = await fetch(`${emulator.url}/_emulator/seed`, {
      method: 'POST',
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: expect.stringContaining(named) });
  });

  it('resets repositories, events, stats and faults', async () => {
    // Prepare
    await emulator.admin.seed({ repositories: [{ name: 'gone-soon' }] });
    await emulator.admin.faults({ DescribeRepositories: { latencyMs: 1 } });
    await emulator.ecr.send(new DescribeRepositoriesCommand({}));

    // Act
    await emulator.admin.reset();

    // Assess
    expect(emulator.emulator.state.store.size).toBe(0);
    expect(await emulator.admin.stats()).toEqual({
      operations: {},
      total: { calls: 0, ok: 0, errors: {} },
      deliveries: { delivered: 0, failed: 0, pending: 0 },
    });
    expect(await emulator.admin.events()).toEqual([]);
    expect((await emulator.admin.clearFaults()).operations).toEqual({});
  });

  it('answers an unknown control route with 404', async () => {
    const response = await fetch(`${emulator.url}/_emulator/nothing`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: expect.stringContaining('/_emulator/nothing') });
  });

  it('answers malformed JSON on a control route with 400', async () => {
    const response = await fetch(`${emulator.url}/_emulator/seed`, { method: 'POST', body: '{' });
    expect(response.status).toBe(400);
  });
});

import {
  CreateRepositoryCreationTemplateCommand,
  type CreateRepositoryCreationTemplateCommandInput,
  DeleteRepositoryCreationTemplateCommand,
  DescribeRepositoriesCommand,
  DescribeRepositoryCreationTemplatesCommand,
  type ECRClient,
  type ImageTagMutability,
  type RCTAppliedFor,
  UpdateRepositoryCreationTemplateCommand,
} from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { awsJsonHeaders, ecrClient, rawCall, startTestEmulator, type TestEmulator } from './helpers.ts';

const ACCOUNT = '123456789012';
const OTHER_ACCOUNT = '210987654321';
const START_MS = Date.UTC(2026, 0, 15, 12, 0, 0);
const ECR = 'AmazonEC2ContainerRegistry_V20150921';
const KMS_KEY = `arn:aws:kms:us-east-1:${ACCOUNT}:key/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d`;
const ROLE = `arn:aws:iam::${ACCOUNT}:role/ecr-templates`;
const POLICY = JSON.stringify({ Version: '2012-10-17', Statement: [] });
const LIFECYCLE = JSON.stringify({ rules: [] });

let emulator: TestEmulator;
let ecr: ECRClient;
let nowMs = START_MS;

beforeAll(async () => {
  emulator = await startTestEmulator({ now: () => nowMs, accounts: { 'other-key': OTHER_ACCOUNT } });
  ecr = emulator.ecr;
});

afterAll(async () => {
  await emulator.stop();
});

beforeEach(async () => {
  nowMs = START_MS;
  await emulator.admin.reset();
});

async function create(prefix: string, extra: Partial<CreateRepositoryCreationTemplateCommandInput> = {}) {
  return ecr.send(
    new CreateRepositoryCreationTemplateCommand({ prefix, appliedFor: ['PULL_THROUGH_CACHE'], ...extra }),
  );
}

async function describePrefixes(client: ECRClient = ecr, prefixes?: string[]): Promise<string[]> {
  const { repositoryCreationTemplates } = await client.send(
    new DescribeRepositoryCreationTemplatesCommand(prefixes === undefined ? {} : { prefixes }),
  );
  return (repositoryCreationTemplates ?? []).map((template) => template.prefix ?? '');
}

const invalidParameter = (field: string) => ({
  name: 'InvalidParameterException',
  message: expect.stringContaining(`'${field}`),
  $metadata: { httpStatusCode: 400 },
});

describe('CreateRepositoryCreationTemplate', () => {
  it('creates a template with the defaults ECR applies and answers with the registry ID', async () => {
    // Act
    const output = await create('prod');

    // Assess
    expect(output.registryId).toBe(ACCOUNT);
    expect(output.repositoryCreationTemplate).toEqual({
      prefix: 'prod',
      encryptionConfiguration: { encryptionType: 'AES256' },
      resourceTags: [],
      imageTagMutability: 'MUTABLE',
      appliedFor: ['PULL_THROUGH_CACHE'],
      createdAt: new Date(START_MS),
      updatedAt: new Date(START_MS),
    });
  });

  it('stores every member as given', async () => {
    // Act
    const { repositoryCreationTemplate } = await create('team/service', {
      description: 'Pull-through and replicated repositories of the team',
      encryptionConfiguration: { encryptionType: 'KMS', kmsKey: KMS_KEY },
      resourceTags: [{ Key: 'team', Value: 'platform' }],
      imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
      imageTagMutabilityExclusionFilters: [{ filter: 'latest', filterType: 'WILDCARD' }],
      repositoryPolicy: POLICY,
      lifecyclePolicy: LIFECYCLE,
      appliedFor: ['REPLICATION', 'PULL_THROUGH_CACHE', 'CREATE_ON_PUSH'],
      customRoleArn: ROLE,
    });

    // Assess
    expect(repositoryCreationTemplate).toEqual({
      prefix: 'team/service',
      description: 'Pull-through and replicated repositories of the team',
      encryptionConfiguration: { encryptionType: 'KMS', kmsKey: KMS_KEY },
      resourceTags: [{ Key: 'team', Value: 'platform' }],
      imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
      imageTagMutabilityExclusionFilters: [{ filter: 'latest', filterType: 'WILDCARD' }],
      repositoryPolicy: POLICY,
      lifecyclePolicy: LIFECYCLE,
      appliedFor: ['REPLICATION', 'PULL_THROUGH_CACHE', 'CREATE_ON_PUSH'],
      customRoleArn: ROLE,
      createdAt: new Date(START_MS),
      updatedAt: new Date(START_MS),
    });
  });

  it.each([
    ['ROOT', 'ROOT'],
    ['a single character', 'a'],
    ['a trailing slash', 'ecr-public/'],
    ['double underscores and dashes', 'my__team--x/app.v2'],
    ['256 characters', `${'a'.repeat(127)}/${'b'.repeat(128)}`],
  ])('accepts a prefix with %s', async (_, prefix) => {
    const { repositoryCreationTemplate } = await create(prefix);
    expect(repositoryCreationTemplate?.prefix).toBe(prefix);
  });

  it('sends timestamps in epoch seconds on the wire', async () => {
    const reply = await rawCall(
      emulator.url,
      awsJsonHeaders(`${ECR}.CreateRepositoryCreationTemplate`),
      JSON.stringify({ prefix: 'wire', appliedFor: ['REPLICATION'] }),
    );
    expect(reply.status).toBe(200);
    expect(reply.body.repositoryCreationTemplate).toMatchObject({
      createdAt: START_MS / 1000,
      updatedAt: START_MS / 1000,
    });
  });

  it('refuses a prefix that already has a template with TemplateAlreadyExistsException', async () => {
    await create('prod');
    for (const prefix of ['prod', 'prod/']) {
      await expect(create(prefix)).rejects.toMatchObject({
        name: 'TemplateAlreadyExistsException',
        message: `The repository creation template with prefix '${prefix}' already exists in the registry with id '${ACCOUNT}'`,
        $metadata: { httpStatusCode: 400 },
      });
    }
  });

  it.each([
    ['an empty string', ''],
    ['upper case', 'Prod'],
    ['ROOT with a path', 'ROOT/app'],
    ['a leading slash', '/prod'],
    ['an empty path segment', 'team//app'],
    ['a trailing separator', 'app-'],
    ['257 characters', 'a'.repeat(257)],
  ])('refuses a prefix with %s as InvalidParameterException naming prefix', async (_, prefix) => {
    await expect(create(prefix)).rejects.toMatchObject(invalidParameter('prefix'));
  });

  it('refuses a request without a prefix', async () => {
    await expect(
      ecr.send(
        new CreateRepositoryCreationTemplateCommand({ prefix: undefined, appliedFor: ['REPLICATION'] }),
      ),
    ).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: "Invalid parameter at 'prefix' failed to satisfy constraint: 'must not be null'",
    });
  });

  it.each([
    ['missing', undefined],
    ['empty', []],
    ['an unknown scenario', ['ON_DEMAND' as RCTAppliedFor]],
  ])('refuses appliedFor that is %s', async (_, appliedFor) => {
    await expect(create('prod', { appliedFor })).rejects.toMatchObject(invalidParameter('appliedFor'));
  });

  it('keeps each appliedFor scenario once', async () => {
    const { repositoryCreationTemplate } = await create('prod', {
      appliedFor: ['REPLICATION', 'REPLICATION', 'CREATE_ON_PUSH'],
    });
    expect(repositoryCreationTemplate?.appliedFor).toEqual(['REPLICATION', 'CREATE_ON_PUSH']);
  });

  it('applies the exclusion filter rules of PutImageTagMutability', async () => {
    const filter = { filter: 'dev-*', filterType: 'WILDCARD' as const };
    await expect(
      create('no-filters-allowed', {
        imageTagMutability: 'IMMUTABLE',
        imageTagMutabilityExclusionFilters: [filter],
      }),
    ).rejects.toMatchObject(invalidParameter('imageTagMutabilityExclusionFilters'));
    await expect(
      create('filters-needed', { imageTagMutability: 'MUTABLE_WITH_EXCLUSION' }),
    ).rejects.toMatchObject(invalidParameter('imageTagMutabilityExclusionFilters'));
    await expect(
      create('too-many', {
        imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
        imageTagMutabilityExclusionFilters: Array.from({ length: 6 }, () => filter),
      }),
    ).rejects.toMatchObject(invalidParameter('imageTagMutabilityExclusionFilters'));
    await expect(
      create('bad-filter', {
        imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
        imageTagMutabilityExclusionFilters: [{ filter: 'release/*', filterType: 'WILDCARD' }],
      }),
    ).rejects.toMatchObject(invalidParameter('imageTagMutabilityExclusionFilters[0].filter'));
    await expect(
      create('odd', { imageTagMutability: 'SOMETIMES' as ImageTagMutability }),
    ).rejects.toMatchObject(invalidParameter('imageTagMutability'));
  });

  it.each([
    ['a description over 256 characters', { description: 'd'.repeat(257) }, 'description'],
    [
      'a repository policy over 10,240 characters',
      { repositoryPolicy: ' '.repeat(10_241) },
      'repositoryPolicy',
    ],
    ['a lifecycle policy over 30,720 characters', { lifecyclePolicy: ' '.repeat(30_721) }, 'lifecyclePolicy'],
    ['a repository policy that is not a JSON object', { repositoryPolicy: '[]' }, 'repositoryPolicy'],
    ['a lifecycle policy that is not JSON', { lifecyclePolicy: 'rules: []' }, 'lifecyclePolicy'],
    [
      'a custom role ARN over 2048 characters',
      { customRoleArn: `${ROLE}${'x'.repeat(2048)}` },
      'customRoleArn',
    ],
    [
      'a custom role ARN that is not an IAM role',
      { customRoleArn: 'arn:aws:iam::123456789012:user/x' },
      'customRoleArn',
    ],
    [
      'a custom role in another account',
      { customRoleArn: `arn:aws:iam::${OTHER_ACCOUNT}:role/x` },
      'customRoleArn',
    ],
    [
      'a KMS key that is not a key ARN',
      { encryptionConfiguration: { encryptionType: 'KMS' as const, kmsKey: 'alias/ecr' } },
      'encryptionConfiguration.kmsKey',
    ],
    [
      'a KMS key with AES256',
      { encryptionConfiguration: { encryptionType: 'AES256' as const, kmsKey: KMS_KEY } },
      'encryptionConfiguration.kmsKey',
    ],
  ])('refuses %s as InvalidParameterException', async (_, extra, field) => {
    await expect(create('prod', extra)).rejects.toMatchObject(invalidParameter(field));
  });

  it('refuses bad resource tags as repositories do', async () => {
    await expect(create('prod', { resourceTags: [{ Key: 'aws:owner', Value: 'x' }] })).rejects.toMatchObject({
      name: 'InvalidTagParameterException',
      $metadata: { httpStatusCode: 400 },
    });
    const resourceTags = Array.from({ length: 51 }, (_, index) => ({ Key: `k${index}`, Value: 'v' }));
    await expect(create('prod', { resourceTags })).rejects.toMatchObject({ name: 'TooManyTagsException' });
    expect(await describePrefixes()).toEqual([]);
  });
});

describe('DescribeRepositoryCreationTemplates', () => {
  it('lists every template in prefix order with the registry ID and no token', async () => {
    // Prepare
    for (const prefix of ['team/b', 'ROOT', 'alpha', 'team/a']) await create(prefix);

    // Act
    const output = await ecr.send(new DescribeRepositoryCreationTemplatesCommand({}));

    // Assess
    expect(output.registryId).toBe(ACCOUNT);
    expect(output.repositoryCreationTemplates?.map((template) => template.prefix)).toEqual([
      'ROOT',
      'alpha',
      'team/a',
      'team/b',
    ]);
    expect(output.nextToken).toBeUndefined();
  });

  it('describes the given prefixes once each and leaves out those without a template', async () => {
    for (const prefix of ['prod', 'dev', 'ROOT']) await create(prefix);
    expect(await describePrefixes(ecr, ['prod/', 'missing', 'ROOT', 'prod'])).toEqual(['ROOT', 'prod']);
    expect(await describePrefixes(ecr, ['missing'])).toEqual([]);
  });

  it('answers an empty registry with an empty list', async () => {
    expect(await describePrefixes()).toEqual([]);
  });

  it('pages with maxResults and nextToken, resuming after the last prefix while templates change', async () => {
    // Prepare
    for (const prefix of ['p1', 'p2', 'p3', 'p4', 'p5']) await create(prefix);

    // Act
    const first = await ecr.send(new DescribeRepositoryCreationTemplatesCommand({ maxResults: 2 }));
    await ecr.send(new DeleteRepositoryCreationTemplateCommand({ prefix: 'p3' }));
    await create('p0');
    await create('p6');
    const second = await ecr.send(
      new DescribeRepositoryCreationTemplatesCommand({ maxResults: 2, nextToken: first.nextToken }),
    );
    const third = await ecr.send(
      new DescribeRepositoryCreationTemplatesCommand({ maxResults: 2, nextToken: second.nextToken }),
    );

    // Assess
    expect(first.repositoryCreationTemplates?.map((template) => template.prefix)).toEqual(['p1', 'p2']);
    expect(first.nextToken).toEqual(expect.any(String));
    expect(second.repositoryCreationTemplates?.map((template) => template.prefix)).toEqual(['p4', 'p5']);
    expect(third.repositoryCreationTemplates?.map((template) => template.prefix)).toEqual(['p6']);
    expect(third.nextToken).toBeUndefined();
  });

  it('pages through the given prefixes only', async () => {
    for (const prefix of ['a1', 'a2', 'a3', 'b1']) await create(prefix);
    const first = await ecr.send(
      new DescribeRepositoryCreationTemplatesCommand({ prefixes: ['a3', 'b1', 'a1'], maxResults: 2 }),
    );
    const second = await ecr.send(
      new DescribeRepositoryCreationTemplatesCommand({
        prefixes: ['a3', 'b1', 'a1'],
        maxResults: 2,
        nextToken: first.nextToken,
      }),
    );
    expect(first.repositoryCreationTemplates?.map((template) => template.prefix)).toEqual(['a1', 'a3']);
    expect(second.repositoryCreationTemplates?.map((template) => template.prefix)).toEqual(['b1']);
    expect(second.nextToken).toBeUndefined();
  });

  it('returns 100 templates by default', async () => {
    await emulator.admin.seed({
      templates: Array.from({ length: 101 }, (_, index) => ({
        prefix: `t${String(index).padStart(3, '0')}`,
      })),
    });
    const output = await ecr.send(new DescribeRepositoryCreationTemplatesCommand({}));
    expect(output.repositoryCreationTemplates).toHaveLength(100);
    expect(output.nextToken).toEqual(expect.any(String));
  });

  it.each([0, 1001])('refuses maxResults %i', async (maxResults) => {
    await expect(
      ecr.send(new DescribeRepositoryCreationTemplatesCommand({ maxResults })),
    ).rejects.toMatchObject(invalidParameter('maxResults'));
  });

  it('refuses an invalid prefix in prefixes, naming its position', async () => {
    await expect(
      ecr.send(new DescribeRepositoryCreationTemplatesCommand({ prefixes: ['prod', 'Prod'] })),
    ).rejects.toMatchObject(invalidParameter('prefixes[1]'));
  });

  it('refuses a forged token, a DescribeRepositories token and a token from another region', async () => {
    // Prepare
    for (const prefix of ['p1', 'p2']) await create(prefix);
    await emulator.admin.seed({ repositories: [{ name: 'r1' }, { name: 'r2' }] });
    const repositoryToken = (await ecr.send(new DescribeRepositoriesCommand({ maxResults: 1 }))).nextToken;
    const templateToken = (await ecr.send(new DescribeRepositoryCreationTemplatesCommand({ maxResults: 1 })))
      .nextToken;
    const west = ecrClient(emulator.url, { region: 'eu-west-1' });

    // Act / Assess
    for (const nextToken of ['not-a-token', repositoryToken]) {
      await expect(
        ecr.send(new DescribeRepositoryCreationTemplatesCommand({ nextToken })),
      ).rejects.toMatchObject(invalidParameter('nextToken'));
    }
    await expect(
      ecr.send(new DescribeRepositoriesCommand({ nextToken: templateToken })),
    ).rejects.toMatchObject(invalidParameter('nextToken'));
    await expect(
      west.send(new DescribeRepositoryCreationTemplatesCommand({ nextToken: templateToken })),
    ).rejects.toMatchObject(invalidParameter('nextToken'));
    west.destroy();
  });
});

describe('UpdateRepositoryCreationTemplate', () => {
  it('changes only the members given, keeps createdAt and moves updatedAt', async () => {
    // Prepare
    await create('prod', { description: 'before', resourceTags: [{ Key: 'team', Value: 'a' }] });
    nowMs = START_MS + 60_000;

    // Act
    const output = await ecr.send(
      new UpdateRepositoryCreationTemplateCommand({
        prefix: 'prod',
        imageTagMutability: 'IMMUTABLE',
        appliedFor: ['REPLICATION'],
        lifecyclePolicy: LIFECYCLE,
      }),
    );

    // Assess
    expect(output.registryId).toBe(ACCOUNT);
    expect(output.repositoryCreationTemplate).toEqual({
      prefix: 'prod',
      description: 'before',
      encryptionConfiguration: { encryptionType: 'AES256' },
      resourceTags: [{ Key: 'team', Value: 'a' }],
      imageTagMutability: 'IMMUTABLE',
      lifecyclePolicy: LIFECYCLE,
      appliedFor: ['REPLICATION'],
      createdAt: new Date(START_MS),
      updatedAt: new Date(START_MS + 60_000),
    });
    const { repositoryCreationTemplates } = await ecr.send(
      new DescribeRepositoryCreationTemplatesCommand({ prefixes: ['prod'] }),
    );
    expect(repositoryCreationTemplates).toEqual([output.repositoryCreationTemplate]);
  });

  it('replaces the tags and clears optional text members given as empty strings', async () => {
    await create('prod', {
      description: 'text',
      repositoryPolicy: POLICY,
      customRoleArn: ROLE,
      resourceTags: [{ Key: 'a', Value: '1' }],
    });
    const { repositoryCreationTemplate } = await ecr.send(
      new UpdateRepositoryCreationTemplateCommand({
        prefix: 'prod/',
        description: '',
        repositoryPolicy: '',
        customRoleArn: '',
        resourceTags: [{ Key: 'b', Value: '2' }],
      }),
    );
    expect(repositoryCreationTemplate).not.toHaveProperty('description');
    expect(repositoryCreationTemplate).not.toHaveProperty('repositoryPolicy');
    expect(repositoryCreationTemplate).not.toHaveProperty('customRoleArn');
    expect(repositoryCreationTemplate?.resourceTags).toEqual([{ Key: 'b', Value: '2' }]);
    expect(repositoryCreationTemplate?.prefix).toBe('prod');
  });

  it('clears the exclusion filters when the mutability no longer has exclusions', async () => {
    await create('prod', {
      imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
      imageTagMutabilityExclusionFilters: [{ filter: 'latest', filterType: 'WILDCARD' }],
    });
    const { repositoryCreationTemplate } = await ecr.send(
      new UpdateRepositoryCreationTemplateCommand({ prefix: 'prod', imageTagMutability: 'MUTABLE' }),
    );
    expect(repositoryCreationTemplate?.imageTagMutability).toBe('MUTABLE');
    expect(repositoryCreationTemplate).not.toHaveProperty('imageTagMutabilityExclusionFilters');
  });

  it('replaces the filters alone only while the mutability has exclusions', async () => {
    // Prepare
    await create('with', {
      imageTagMutability: 'MUTABLE_WITH_EXCLUSION',
      imageTagMutabilityExclusionFilters: [{ filter: 'latest', filterType: 'WILDCARD' }],
    });
    await create('without', { imageTagMutability: 'IMMUTABLE' });
    const filters = [{ filter: 'release-*', filterType: 'WILDCARD' as const }];

    // Act
    const { repositoryCreationTemplate } = await ecr.send(
      new UpdateRepositoryCreationTemplateCommand({
        prefix: 'with',
        imageTagMutabilityExclusionFilters: filters,
      }),
    );

    // Assess
    expect(repositoryCreationTemplate).toMatchObject({
      imageTagMutability: 'MUTABLE_WITH_EXCLUSION',
      imageTagMutabilityExclusionFilters: filters,
    });
    await expect(
      ecr.send(
        new UpdateRepositoryCreationTemplateCommand({
          prefix: 'without',
          imageTagMutabilityExclusionFilters: filters,
        }),
      ),
    ).rejects.toMatchObject(invalidParameter('imageTagMutabilityExclusionFilters'));
    await expect(
      ecr.send(
        new UpdateRepositoryCreationTemplateCommand({
          prefix: 'without',
          imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
        }),
      ),
    ).rejects.toMatchObject(invalidParameter('imageTagMutabilityExclusionFilters'));
  });

  it('refuses an empty appliedFor', async () => {
    await create('prod');
    await expect(
      ecr.send(new UpdateRepositoryCreationTemplateCommand({ prefix: 'prod', appliedFor: [] })),
    ).rejects.toMatchObject(invalidParameter('appliedFor'));
  });

  it('answers a prefix without a template with TemplateNotFoundException', async () => {
    await expect(
      ecr.send(new UpdateRepositoryCreationTemplateCommand({ prefix: 'absent', description: 'x' })),
    ).rejects.toMatchObject({
      name: 'TemplateNotFoundException',
      message: `The repository creation template with prefix 'absent' does not exist in the registry with id '${ACCOUNT}'`,
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('checks the members before looking the template up', async () => {
    await expect(
      ecr.send(
        new UpdateRepositoryCreationTemplateCommand({ prefix: 'absent', description: 'd'.repeat(257) }),
      ),
    ).rejects.toMatchObject(invalidParameter('description'));
  });
});

describe('DeleteRepositoryCreationTemplate', () => {
  it('deletes the template and answers with it', async () => {
    // Prepare
    await create('prod', { description: 'going' });
    await create('dev');

    // Act
    const output = await ecr.send(new DeleteRepositoryCreationTemplateCommand({ prefix: 'prod' }));

    // Assess
    expect(output.registryId).toBe(ACCOUNT);
    expect(output.repositoryCreationTemplate).toMatchObject({ prefix: 'prod', description: 'going' });
    expect(await describePrefixes()).toEqual(['dev']);
  });

  it('answers a prefix without a template with TemplateNotFoundException', async () => {
    await create('prod');
    await ecr.send(new DeleteRepositoryCreationTemplateCommand({ prefix: 'prod/' }));
    await expect(
      ecr.send(new DeleteRepositoryCreationTemplateCommand({ prefix: 'prod' })),
    ).rejects.toMatchObject({
      name: 'TemplateNotFoundException',
      message: expect.stringContaining("'prod'"),
    });
  });

  it('refuses an invalid prefix as InvalidParameterException', async () => {
    await expect(
      ecr.send(new DeleteRepositoryCreationTemplateCommand({ prefix: 'ROOT/' })),
    ).rejects.toMatchObject(invalidParameter('prefix'));
  });
});

describe('isolation', () => {
  it('keeps templates apart per region and per account', async () => {
    // Prepare
    const west = ecrClient(emulator.url, { region: 'eu-west-1' });
    const other = ecrClient(emulator.url, { accessKeyId: 'other-key' });
    await create('shared');
    await west.send(
      new CreateRepositoryCreationTemplateCommand({ prefix: 'shared', appliedFor: ['REPLICATION'] }),
    );

    // Act
    const otherOutput = await other.send(new DescribeRepositoryCreationTemplatesCommand({}));
    await ecr.send(new DeleteRepositoryCreationTemplateCommand({ prefix: 'shared' }));
    const westPrefixes = await describePrefixes(west);
    west.destroy();
    other.destroy();

    // Assess
    expect(otherOutput).toMatchObject({ registryId: OTHER_ACCOUNT, repositoryCreationTemplates: [] });
    expect(westPrefixes).toEqual(['shared']);
    expect(await describePrefixes()).toEqual([]);
  });
});

describe('control routes', () => {
  it('seeds templates with defaults, replaces them on a second seed and lists them', async () => {
    // Act
    const first = await emulator.admin.seed({
      region: 'eu-central-1',
      templates: [
        { prefix: 'ROOT' },
        {
          prefix: 'team',
          imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
          imageTagMutabilityExclusionFilters: [{ filter: 'latest', filterType: 'WILDCARD' }],
          appliedFor: ['CREATE_ON_PUSH', 'REPLICATION'],
        },
      ],
    });
    const second = await emulator.admin.seed({
      region: 'eu-central-1',
      templates: [{ prefix: 'team', imageTagMutability: 'IMMUTABLE' }],
    });
    const listed = await emulator.admin.templates({ region: 'eu-central-1' });
    const central = ecrClient(emulator.url, { region: 'eu-central-1' });
    const described = await describePrefixes(central);
    central.destroy();

    // Assess
    expect(first).toEqual({
      account: ACCOUNT,
      region: 'eu-central-1',
      created: 0,
      replaced: 0,
      total: 0,
      templates: { created: 2, replaced: 0, total: 2 },
    });
    expect(second.templates).toEqual({ created: 0, replaced: 1, total: 2 });
    expect(listed).toMatchObject({ count: 2 });
    expect(listed.templates).toEqual([
      {
        prefix: 'ROOT',
        encryptionConfiguration: { encryptionType: 'AES256' },
        resourceTags: [],
        imageTagMutability: 'MUTABLE',
        appliedFor: ['PULL_THROUGH_CACHE'],
        createdAt: START_MS / 1000,
        updatedAt: START_MS / 1000,
      },
      expect.objectContaining({ prefix: 'team', imageTagMutability: 'IMMUTABLE' }),
    ]);
    expect(listed.templates[1]).not.toHaveProperty('imageTagMutabilityExclusionFilters');
    expect(described).toEqual(['ROOT', 'team']);
    expect((await emulator.admin.templates()).count).toBe(0);
    expect((await emulator.admin.stats()).total.calls).toBe(1);
  });

  it('refuses an invalid seeded template and seeds nothing from that request', async () => {
    await expect(
      emulator.admin.seed({ repositories: [{ name: 'kept-out' }], templates: [{ prefix: 'Bad' }] }),
    ).rejects.toThrow(/templates\[0\]\.prefix/);
    await expect(emulator.admin.seed({ templates: [{ prefix: 'x', appliedFor: [] }] })).rejects.toThrow(
      /templates\[0\]\.appliedFor/,
    );
    expect((await emulator.admin.templates()).count).toBe(0);
    expect((await emulator.admin.repositories()).count).toBe(0);
  });

  it('clears templates on reset', async () => {
    await create('prod');
    await emulator.admin.reset();
    expect(await describePrefixes()).toEqual([]);
  });

  it('counts template operations and their errors in stats', async () => {
    // Prepare
    await create('prod');
    await create('prod').catch(() => undefined);
    await ecr.send(new DescribeRepositoryCreationTemplatesCommand({}));
    await ecr.send(new UpdateRepositoryCreationTemplateCommand({ prefix: 'prod', description: 'x' }));
    await ecr.send(new DeleteRepositoryCreationTemplateCommand({ prefix: 'prod' }));
    await ecr.send(new DeleteRepositoryCreationTemplateCommand({ prefix: 'prod' })).catch(() => undefined);

    // Act
    const stats = await emulator.admin.stats();

    // Assess
    expect(stats.operations).toEqual({
      CreateRepositoryCreationTemplate: { calls: 2, ok: 1, errors: { TemplateAlreadyExistsException: 1 } },
      DescribeRepositoryCreationTemplates: { calls: 1, ok: 1, errors: {} },
      UpdateRepositoryCreationTemplate: { calls: 1, ok: 1, errors: {} },
      DeleteRepositoryCreationTemplate: { calls: 2, ok: 1, errors: { TemplateNotFoundException: 1 } },
    });
  });

  it('injects faults into template operations by name', async () => {
    // Prepare
    await emulator.admin.faults({
      CreateRepositoryCreationTemplate: { serverErrorProbability: 1 },
      DescribeRepositoryCreationTemplates: { throttle: { probability: 1 } },
    });

    // Act / Assess
    await expect(create('prod')).rejects.toMatchObject({
      name: 'ServerException',
      $metadata: { httpStatusCode: 500 },
    });
    await expect(ecr.send(new DescribeRepositoryCreationTemplatesCommand({}))).rejects.toMatchObject({
      name: 'ThrottlingException',
    });
    expect((await emulator.admin.templates()).count).toBe(0);
  });
});

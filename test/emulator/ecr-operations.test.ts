import {
  CreateRepositoryCommand,
  DeleteRepositoryCommand,
  DescribeRepositoriesCommand,
  type ECRClient,
  type ImageTagMutability,
  ListTagsForResourceCommand,
  PutImageTagMutabilityCommand,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ecrClient, startTestEmulator, type TestEmulator } from './helpers.ts';

const ACCOUNT = '123456789012';
const arnOf = (name: string, region = 'us-east-1', account = ACCOUNT): string =>
  `arn:aws:ecr:${region}:${account}:repository/${name}`;

let emulator: TestEmulator;
let ecr: ECRClient;

beforeAll(async () => {
  emulator = await startTestEmulator({ accounts: { 'second-account-key': '210987654321' } });
  ecr = emulator.ecr;
});

afterAll(async () => {
  await emulator.stop();
});

beforeEach(async () => {
  await emulator.admin.reset();
});

async function create(
  name: string,
  extra: Partial<ConstructorParameters<typeof CreateRepositoryCommand>[0]> = {},
) {
  return ecr.send(new CreateRepositoryCommand({ repositoryName: name, ...extra }));
}

describe('CreateRepository', () => {
  it('creates a repository with the defaults ECR applies', async () => {
    // Act
    const before = Date.now();
    const { repository } = await create('team/service-a');

    // Assess
    expect(repository).toEqual({
      repositoryArn: arnOf('team/service-a'),
      registryId: ACCOUNT,
      repositoryName: 'team/service-a',
      repositoryUri: `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/team/service-a`,
      createdAt: expect.any(Date),
      imageTagMutability: 'MUTABLE',
      imageScanningConfiguration: { scanOnPush: false },
      encryptionConfiguration: { encryptionType: 'AES256' },
    });
    expect(repository?.createdAt?.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(repository?.createdAt?.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
  });

  it('stores mutability, exclusion filters, scanning, encryption and tags as given', async () => {
    // Act
    const { repository } = await create('configured', {
      imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
      imageTagMutabilityExclusionFilters: [{ filter: 'dev-*', filterType: 'WILDCARD' }],
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: { encryptionType: 'KMS', kmsKey: 'alias/ecr' },
      tags: [{ Key: 'team', Value: 'platform' }],
    });
    const { tags } = await ecr.send(new ListTagsForResourceCommand({ resourceArn: arnOf('configured') }));

    // Assess
    expect(repository).toMatchObject({
      imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
      imageTagMutabilityExclusionFilters: [{ filter: 'dev-*', filterType: 'WILDCARD' }],
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: { encryptionType: 'KMS', kmsKey: 'alias/ecr' },
    });
    expect(tags).toEqual([{ Key: 'team', Value: 'platform' }]);
  });

  it('refuses a name that already exists with RepositoryAlreadyExistsException', async () => {
    await create('taken');
    await expect(create('taken')).rejects.toMatchObject({
      name: 'RepositoryAlreadyExistsException',
      message: `The repository with name 'taken' already exists in the registry with id '${ACCOUNT}'`,
      $metadata: { httpStatusCode: 400 },
    });
  });

  it.each([
    ['a single character', 'a'],
    ['upper case', 'Team/App'],
    ['a leading separator', '-app'],
    ['a trailing separator', 'app-'],
    ['an empty path segment', 'team//app'],
    ['257 characters', 'a'.repeat(257)],
  ])('refuses a name with %s as InvalidParameterException naming repositoryName', async (_, name) => {
    await expect(create(name)).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringContaining("'repositoryName'"),
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('accepts a 256-character name made of valid segments', async () => {
    const name = `${'a'.repeat(127)}/${'b'.repeat(128)}`;
    const { repository } = await create(name);
    expect(repository?.repositoryName).toBe(name);
  });

  it('refuses exclusion filters with IMMUTABLE and requires them with IMMUTABLE_WITH_EXCLUSION', async () => {
    await expect(
      create('no-filters-allowed', {
        imageTagMutability: 'IMMUTABLE',
        imageTagMutabilityExclusionFilters: [{ filter: 'latest', filterType: 'WILDCARD' }],
      }),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
    await expect(
      create('filters-needed', { imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION' }),
    ).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringContaining('imageTagMutabilityExclusionFilters'),
    });
  });

  it('refuses an unknown imageTagMutability value', async () => {
    await expect(
      create('odd', { imageTagMutability: 'SOMETIMES' as ImageTagMutability }),
    ).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringContaining("'imageTagMutability'"),
    });
  });

  it('refuses a KMS key with AES256 encryption', async () => {
    await expect(
      create('aes-with-key', { encryptionConfiguration: { encryptionType: 'AES256', kmsKey: 'alias/x' } }),
    ).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringContaining('kmsKey'),
    });
  });

  it.each([
    ['a key longer than 128 characters', { Key: 'k'.repeat(129), Value: 'v' }],
    ['an empty key', { Key: '', Value: 'v' }],
    ['a value longer than 256 characters', { Key: 'k', Value: 'v'.repeat(257) }],
    ['the reserved aws: prefix', { Key: 'aws:owner', Value: 'v' }],
  ])('refuses a tag with %s as InvalidTagParameterException', async (_, tag) => {
    await expect(create('tagged', { tags: [tag] })).rejects.toMatchObject({
      name: 'InvalidTagParameterException',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('refuses more than 50 tags with TooManyTagsException', async () => {
    const tags = Array.from({ length: 51 }, (_, index) => ({ Key: `k${index}`, Value: 'v' }));
    await expect(create('many-tags', { tags })).rejects.toMatchObject({ name: 'TooManyTagsException' });
  });

  it("refuses another account's registryId with AccessDeniedException", async () => {
    await expect(create('elsewhere', { registryId: '999999999999' })).rejects.toMatchObject({
      name: 'AccessDeniedException',
      message: expect.stringContaining('999999999999'),
      $metadata: { httpStatusCode: 400 },
    });
  });
});

describe('DescribeRepositories', () => {
  it('describes repositories by name in the order asked', async () => {
    await create('alpha');
    await create('beta');
    const { repositories, nextToken } = await ecr.send(
      new DescribeRepositoriesCommand({ repositoryNames: ['beta', 'alpha'] }),
    );
    expect(repositories?.map((repository) => repository.repositoryName)).toEqual(['beta', 'alpha']);
    expect(nextToken).toBeUndefined();
  });

  it('names the missing repository in RepositoryNotFoundException', async () => {
    await create('present');
    await expect(
      ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['present', 'absent'] })),
    ).rejects.toMatchObject({
      name: 'RepositoryNotFoundException',
      message: `The repository with name 'absent' does not exist in the registry with id '${ACCOUNT}'`,
      $metadata: { httpStatusCode: 400 },
    });
  });

  it.each([
    ['maxResults', { maxResults: 10 }],
    ['nextToken', { nextToken: 'token' }],
  ])('refuses repositoryNames combined with %s', async (_, extra) => {
    await create('combo');
    await expect(
      ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['combo'], ...extra })),
    ).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringContaining('repositoryNames'),
    });
  });

  it.each([0, 1001])('refuses maxResults %i', async (maxResults) => {
    await expect(ecr.send(new DescribeRepositoriesCommand({ maxResults }))).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringContaining("'maxResults'"),
    });
  });

  it('refuses an empty list and more than 100 names', async () => {
    const tooMany = Array.from({ length: 101 }, (_, index) => `repo-${index}`);
    for (const repositoryNames of [[], tooMany]) {
      await expect(ecr.send(new DescribeRepositoriesCommand({ repositoryNames }))).rejects.toMatchObject({
        name: 'InvalidParameterException',
        message: expect.stringContaining("'repositoryNames'"),
      });
    }
  });

  it('returns 100 repositories by default and omits nextToken on the last page', async () => {
    await emulator.admin.seed({ generate: { count: 150, prefix: 'page' } });
    const first = await ecr.send(new DescribeRepositoriesCommand({}));
    const second = await ecr.send(new DescribeRepositoriesCommand({ nextToken: first.nextToken }));
    expect(first.repositories).toHaveLength(100);
    expect(first.nextToken).toEqual(expect.any(String));
    expect(second.repositories).toHaveLength(50);
    expect(second.nextToken).toBeUndefined();
  });

  it('answers an empty registry with no repositories and no token', async () => {
    const { repositories, nextToken } = await ecr.send(new DescribeRepositoriesCommand({}));
    expect(repositories).toEqual([]);
    expect(nextToken).toBeUndefined();
  });

  it("refuses another account's registryId with AccessDeniedException", async () => {
    await expect(
      ecr.send(new DescribeRepositoriesCommand({ registryId: '999999999999' })),
    ).rejects.toMatchObject({
      name: 'AccessDeniedException',
    });
  });

  it('accepts its own account as registryId', async () => {
    await create('mine');
    const { repositories } = await ecr.send(
      new DescribeRepositoriesCommand({ registryId: ACCOUNT, repositoryNames: ['mine'] }),
    );
    expect(repositories?.[0]?.repositoryName).toBe('mine');
  });
});

describe('PutImageTagMutability', () => {
  it.each([
    ['MUTABLE', undefined],
    ['IMMUTABLE', undefined],
    ['MUTABLE_WITH_EXCLUSION', [{ filter: 'release-*', filterType: 'WILDCARD' as const }]],
    ['IMMUTABLE_WITH_EXCLUSION', [{ filter: 'latest', filterType: 'WILDCARD' as const }]],
  ] as const)('sets %s and DescribeRepositories reflects it', async (imageTagMutability, filters) => {
    // Prepare
    await create('target');

    // Act
    const output = await ecr.send(
      new PutImageTagMutabilityCommand({
        repositoryName: 'target',
        imageTagMutability,
        ...(filters === undefined ? {} : { imageTagMutabilityExclusionFilters: [...filters] }),
      }),
    );
    const { repositories } = await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['target'] }));

    // Assess
    const expected = {
      registryId: ACCOUNT,
      repositoryName: 'target',
      imageTagMutability,
      ...(filters === undefined ? {} : { imageTagMutabilityExclusionFilters: filters }),
    };
    const { $metadata: _, ...body } = output;
    expect(body).toEqual(expected);
    expect(repositories?.[0]?.imageTagMutability).toBe(imageTagMutability);
    expect(repositories?.[0]?.imageTagMutabilityExclusionFilters).toEqual(filters);
  });

  it('clears the exclusion filters when set to a value without exclusions', async () => {
    await create('was-excluding', {
      imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
      imageTagMutabilityExclusionFilters: [{ filter: 'latest', filterType: 'WILDCARD' }],
    });
    await ecr.send(
      new PutImageTagMutabilityCommand({ repositoryName: 'was-excluding', imageTagMutability: 'IMMUTABLE' }),
    );
    const { repositories } = await ecr.send(
      new DescribeRepositoriesCommand({ repositoryNames: ['was-excluding'] }),
    );
    expect(repositories?.[0]).not.toHaveProperty('imageTagMutabilityExclusionFilters');
  });

  it.each([
    [
      'six filters',
      Array.from({ length: 6 }, (_, index) => ({ filter: `f${index}`, filterType: 'WILDCARD' })),
    ],
    ['a filter with a space', [{ filter: 'dev tag', filterType: 'WILDCARD' }]],
    ['a filter longer than 128 characters', [{ filter: 'x'.repeat(129), filterType: 'WILDCARD' }]],
    ['an unknown filter type', [{ filter: 'dev-*', filterType: 'REGEX' }]],
    ['an empty list', []],
  ])('refuses %s as InvalidParameterException', async (_, filters) => {
    await create('filtered');
    await expect(
      ecr.send(
        new PutImageTagMutabilityCommand({
          repositoryName: 'filtered',
          imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
          imageTagMutabilityExclusionFilters: filters as Array<{ filter: string; filterType: 'WILDCARD' }>,
        }),
      ),
    ).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringContaining('imageTagMutabilityExclusionFilters'),
    });
  });

  it('refuses filters with MUTABLE', async () => {
    await create('plain');
    await expect(
      ecr.send(
        new PutImageTagMutabilityCommand({
          repositoryName: 'plain',
          imageTagMutability: 'MUTABLE',
          imageTagMutabilityExclusionFilters: [{ filter: 'latest', filterType: 'WILDCARD' }],
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
  });

  it('answers a missing repository with RepositoryNotFoundException', async () => {
    await expect(
      ecr.send(
        new PutImageTagMutabilityCommand({ repositoryName: 'ghost', imageTagMutability: 'IMMUTABLE' }),
      ),
    ).rejects.toMatchObject({
      name: 'RepositoryNotFoundException',
      message: `The repository with name 'ghost' does not exist in the registry with id '${ACCOUNT}'`,
    });
  });
});

describe('DeleteRepository', () => {
  it('deletes a repository and returns it', async () => {
    await create('doomed');
    const { repository } = await ecr.send(new DeleteRepositoryCommand({ repositoryName: 'doomed' }));
    expect(repository?.repositoryArn).toBe(arnOf('doomed'));
    await expect(
      ecr.send(new DescribeRepositoriesCommand({ repositoryNames: ['doomed'] })),
    ).rejects.toMatchObject({ name: 'RepositoryNotFoundException' });
  });

  it('refuses a repository with images unless force is set', async () => {
    await emulator.admin.seed({ repositories: [{ name: 'full', imageCount: 3 }] });
    await expect(ecr.send(new DeleteRepositoryCommand({ repositoryName: 'full' }))).rejects.toMatchObject({
      name: 'RepositoryNotEmptyException',
      $metadata: { httpStatusCode: 400 },
    });
    const { repository } = await ecr.send(
      new DeleteRepositoryCommand({ repositoryName: 'full', force: true }),
    );
    expect(repository?.repositoryName).toBe('full');
  });

  it('answers a missing repository with RepositoryNotFoundException', async () => {
    await expect(ecr.send(new DeleteRepositoryCommand({ repositoryName: 'never' }))).rejects.toMatchObject({
      name: 'RepositoryNotFoundException',
    });
  });
});

describe('TagResource, UntagResource and ListTagsForResource', () => {
  it('adds, overwrites, lists and removes tags by repository ARN', async () => {
    // Prepare
    await create('tags', { tags: [{ Key: 'a', Value: '1' }] });
    const resourceArn = arnOf('tags');

    // Act
    await ecr.send(
      new TagResourceCommand({
        resourceArn,
        tags: [
          { Key: 'a', Value: '2' },
          { Key: 'b', Value: '' },
        ],
      }),
    );
    const afterTag = await ecr.send(new ListTagsForResourceCommand({ resourceArn }));
    await ecr.send(new UntagResourceCommand({ resourceArn, tagKeys: ['a', 'not-there'] }));
    const afterUntag = await ecr.send(new ListTagsForResourceCommand({ resourceArn }));

    // Assess
    expect(afterTag.tags).toEqual([
      { Key: 'a', Value: '2' },
      { Key: 'b', Value: '' },
    ]);
    expect(afterUntag.tags).toEqual([{ Key: 'b', Value: '' }]);
  });

  it.each([
    ['not an ARN', 'tags'],
    ['an ARN of another service', 'arn:aws:s3:::bucket'],
    ['an ARN with an invalid repository name', arnOf('Upper')],
  ])('refuses %s as InvalidParameterException', async (_, resourceArn) => {
    await expect(ecr.send(new ListTagsForResourceCommand({ resourceArn }))).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringContaining('resourceArn'),
    });
  });

  it('refuses an ARN from another region', async () => {
    await create('regional');
    await expect(
      ecr.send(new ListTagsForResourceCommand({ resourceArn: arnOf('regional', 'eu-west-1') })),
    ).rejects.toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringContaining('eu-west-1'),
    });
  });

  it('answers an ARN of a missing repository with RepositoryNotFoundException', async () => {
    const missing = { name: 'RepositoryNotFoundException' };
    const resourceArn = arnOf('missing');
    await expect(ecr.send(new ListTagsForResourceCommand({ resourceArn }))).rejects.toMatchObject(missing);
    await expect(
      ecr.send(new TagResourceCommand({ resourceArn, tags: [{ Key: 'k', Value: 'v' }] })),
    ).rejects.toMatchObject(missing);
    await expect(ecr.send(new UntagResourceCommand({ resourceArn, tagKeys: ['k'] }))).rejects.toMatchObject(
      missing,
    );
  });

  it('refuses tags that would exceed 50 and applies none of them', async () => {
    const initial = Array.from({ length: 49 }, (_, index) => ({ Key: `k${index}`, Value: 'v' }));
    await create('crowded', { tags: initial });
    await expect(
      ecr.send(
        new TagResourceCommand({
          resourceArn: arnOf('crowded'),
          tags: [
            { Key: 'extra-1', Value: 'v' },
            { Key: 'extra-2', Value: 'v' },
          ],
        }),
      ),
    ).rejects.toMatchObject({ name: 'TooManyTagsException' });
    const { tags } = await ecr.send(new ListTagsForResourceCommand({ resourceArn: arnOf('crowded') }));
    expect(tags).toHaveLength(49);
  });

  it('refuses an invalid tag with InvalidTagParameterException', async () => {
    await create('strict');
    await expect(
      ecr.send(
        new TagResourceCommand({ resourceArn: arnOf('strict'), tags: [{ Key: 'aws:x', Value: 'v' }] }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidTagParameterException' });
  });
});

describe('isolation', () => {
  it('keeps regions apart', async () => {
    // Prepare
    const west = ecrClient(emulator.url, { region: 'eu-west-1' });
    await create('shared-name');

    // Act
    const { repository } = await west.send(new CreateRepositoryCommand({ repositoryName: 'shared-name' }));
    const westList = await west.send(new DescribeRepositoriesCommand({}));
    const eastList = await ecr.send(new DescribeRepositoriesCommand({}));
    west.destroy();

    // Assess
    expect(repository?.repositoryArn).toBe(arnOf('shared-name', 'eu-west-1'));
    expect(repository?.repositoryUri).toBe(`${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/shared-name`);
    expect(westList.repositories).toHaveLength(1);
    expect(eastList.repositories).toHaveLength(1);
  });

  it('keeps accounts apart when access keys map to different accounts', async () => {
    const second = ecrClient(emulator.url, { accessKeyId: 'second-account-key' });
    const { repository } = await second.send(new CreateRepositoryCommand({ repositoryName: 'theirs' }));
    const mine = await ecr.send(new DescribeRepositoriesCommand({}));
    await expect(
      second.send(new ListTagsForResourceCommand({ resourceArn: arnOf('theirs') })),
    ).rejects.toMatchObject({ name: 'AccessDeniedException' });
    second.destroy();
    expect(repository?.registryId).toBe('210987654321');
    expect(mine.repositories).toEqual([]);
  });
});

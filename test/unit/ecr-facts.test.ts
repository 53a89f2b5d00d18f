/**
 * ECR's shapes and the policy's facts, both ways (lib/ecr-facts.ts): what the adapter (lib/ecr.ts) reads from
 * DescribeRepositories and DescribeRepositoryCreationTemplates, and what its writes send.
 */
import type { Repository } from '@aws-sdk/client-ecr';
import { describe, expect, it } from 'vitest';
import {
  filtersOf,
  missingNameFromMessage,
  mutabilityRequest,
  toRepositoryFacts,
  toTemplateFacts,
} from '../../lib/ecr-facts.ts';

const ARN = 'arn:aws:ecr:eu-west-1:123456789012:repository/team/app';

describe('filtersOf', () => {
  it.each([
    ['no list', undefined, []],
    ['an empty list', [], []],
    [
      'WILDCARD filters',
      [{ filter: 'latest', filterType: 'WILDCARD' }, { filter: 'dev-*' }],
      ['latest', 'dev-*'],
    ],
    ['entries without a filter, dropped', [{ filter: 'latest' }, {}, { filter: '' }], ['latest']],
  ])('reads %s', (_case, entries, expected) => {
    expect(filtersOf(entries)).toEqual(expected);
  });
});

describe('mutabilityRequest', () => {
  it('sends IMMUTABLE without any exclusion filter list', () => {
    expect(mutabilityRequest({ mutability: 'IMMUTABLE', exclusionFilters: [] })).toStrictEqual({
      imageTagMutability: 'IMMUTABLE',
      imageTagMutabilityExclusionFilters: undefined,
    });
  });

  it('sends the filters of IMMUTABLE_WITH_EXCLUSION as WILDCARD filters', () => {
    expect(
      mutabilityRequest({ mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['latest', 'dev-*'] }),
    ).toStrictEqual({
      imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
      imageTagMutabilityExclusionFilters: [
        { filter: 'latest', filterType: 'WILDCARD' },
        { filter: 'dev-*', filterType: 'WILDCARD' },
      ],
    });
  });
});

describe('toRepositoryFacts', () => {
  it('reads the name, ARN, registry and setting', () => {
    expect(
      toRepositoryFacts({
        repositoryName: 'team/app',
        repositoryArn: ARN,
        registryId: '123456789012',
        imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
        imageTagMutabilityExclusionFilters: [{ filter: 'latest', filterType: 'WILDCARD' }],
      }),
    ).toEqual({
      repositoryName: 'team/app',
      repositoryArn: ARN,
      registryId: '123456789012',
      setting: { mutability: 'IMMUTABLE_WITH_EXCLUSION', exclusionFilters: ['latest'] },
    });
  });

  it('reads a repository that reports no setting as MUTABLE, ECR’s default', () => {
    expect(
      toRepositoryFacts({ repositoryName: 'old', repositoryArn: ARN, registryId: '123456789012' })?.setting,
    ).toEqual({ mutability: 'MUTABLE', exclusionFilters: [] });
  });

  it.each<[string, Repository]>([
    ['name', { repositoryArn: ARN, registryId: '123456789012' }],
    ['ARN', { repositoryName: 'team/app', registryId: '123456789012' }],
    ['registry', { repositoryName: 'team/app', repositoryArn: ARN }],
    ['name (empty)', { repositoryName: '', repositoryArn: ARN, registryId: '123456789012' }],
  ])('refuses an entry without its %s', (_missing, repository) => {
    expect(toRepositoryFacts({ imageTagMutability: 'IMMUTABLE', ...repository })).toBeUndefined();
  });
});

describe('toTemplateFacts', () => {
  it('reads the prefix and setting under the registry given, MUTABLE when it reports none', () => {
    expect(toTemplateFacts({ prefix: 'team-a' }, '123456789012')).toEqual({
      prefix: 'team-a',
      registryId: '123456789012',
      setting: { mutability: 'MUTABLE', exclusionFilters: [] },
    });
  });

  it.each([undefined, ''])('refuses a template whose prefix is %j', (prefix) => {
    expect(toTemplateFacts({ prefix, imageTagMutability: 'IMMUTABLE' }, '123456789012')).toBeUndefined();
  });
});

describe('missingNameFromMessage', () => {
  it.each([
    ["The repository with name 'team/app' does not exist in the registry with id '123456789012'", 'team/app'],
    ["The repository with name 'a' does not exist in the registry with id '123456789012'", 'a'],
    ['Repository not found', undefined],
    ['', undefined],
  ])('reads %j as %j', (message, name) => {
    expect(missingNameFromMessage(message)).toBe(name);
  });
});

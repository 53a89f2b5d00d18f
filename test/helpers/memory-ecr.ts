/** An in-memory EcrAdapter for unit tests of the sweep logic: sorted paging, call counters, injectable faults. */
import type { EcrAdapter, RepositoryPage } from '../../lib/ecr.ts';
import { AwsCallError } from '../../lib/errors.ts';
import type { MutabilitySetting, RepositoryFacts } from '../../lib/policy.ts';
import type { UntaggedImage } from '../../lib/push-history.ts';

/** A repository's setting, its resource tags and its untagged images (what DescribeImages would list). */
export type MemoryRepository = MutabilitySetting & {
  tags?: Record<string, string>;
  untagged?: UntaggedImage[];
};

export interface MemoryEcr extends EcrAdapter {
  readonly repositories: Map<string, MemoryRepository>;
  readonly calls: {
    describe: number;
    describeByName: number;
    put: number;
    tags: number;
    templates: number;
    templateWrites: number;
    images: number;
  };
  readonly templates: Map<string, MutabilitySetting>;
  readonly writes: string[];
  /** Throws this error (once per call) for puts on names matching. */
  failPut?: (name: string) => AwsCallError | undefined;
}

function factsOf(name: string, setting: MutabilitySetting): RepositoryFacts {
  return {
    repositoryName: name,
    repositoryArn: `arn:aws:ecr:eu-west-1:123456789012:repository/${name}`,
    registryId: '123456789012',
    setting: { mutability: setting.mutability, exclusionFilters: [...setting.exclusionFilters] },
  };
}

export function createMemoryEcr(seed: Record<string, string>): MemoryEcr {
  const repositories = new Map<string, MemoryRepository>();
  for (const [name, mutability] of Object.entries(seed))
    repositories.set(name, { mutability, exclusionFilters: [] });
  const calls = {
    describe: 0,
    describeByName: 0,
    put: 0,
    tags: 0,
    templates: 0,
    templateWrites: 0,
    images: 0,
  };
  const templates = new Map<string, MutabilitySetting>();
  const writes: string[] = [];
  const adapter: MemoryEcr = {
    repositories,
    calls,
    writes,
    templates,
    async describeRepository(ref) {
      calls.describe += 1;
      const setting = repositories.get(ref.repositoryName);
      return setting ? { kind: 'found', facts: factsOf(ref.repositoryName, setting) } : { kind: 'gone' };
    },
    async listRepositoryPage({ nextToken, pageSize = 1000 }): Promise<RepositoryPage> {
      calls.describe += 1;
      const names = [...repositories.keys()].sort();
      const after = nextToken ?? '';
      const rest = names.filter((name) => name > after);
      const page = rest.slice(0, pageSize);
      const last = page.at(-1);
      return {
        repositories: page.flatMap((name) => {
          const setting = repositories.get(name);
          return setting ? [factsOf(name, setting)] : [];
        }),
        nextToken: rest.length > page.length && last !== undefined ? last : undefined,
      };
    },
    async describeRepositoriesByName(_registryId, names) {
      calls.describeByName += 1;
      const found: RepositoryFacts[] = [];
      const missing: string[] = [];
      for (const name of names) {
        const setting = repositories.get(name);
        if (setting) found.push(factsOf(name, setting));
        else missing.push(name);
      }
      return { found, missing };
    },
    async setMutability(facts, desired) {
      calls.put += 1;
      const failure = adapter.failPut?.(facts.repositoryName);
      if (failure) throw failure;
      const current = repositories.get(facts.repositoryName);
      if (current === undefined) return { kind: 'gone' };
      const setting = { mutability: desired.mutability, exclusionFilters: [...desired.exclusionFilters] };
      // The setting changes; the repository's tags and images stay.
      repositories.set(facts.repositoryName, { ...current, ...setting });
      writes.push(facts.repositoryName);
      return { kind: 'set', facts: factsOf(facts.repositoryName, setting) };
    },
    async listCreationTemplatePage() {
      calls.templates += 1;
      return {
        templates: [...templates.entries()].map(([prefix, setting]) => ({
          prefix,
          registryId: '123456789012',
          setting,
        })),
        nextToken: undefined,
      };
    },
    async setTemplateMutability(template, desired) {
      calls.templateWrites += 1;
      if (!templates.has(template.prefix)) return { kind: 'gone' };
      const setting = { mutability: desired.mutability, exclusionFilters: [...desired.exclusionFilters] };
      templates.set(template.prefix, setting);
      return { kind: 'set', template: { ...template, setting } };
    },
    async listTags(facts) {
      calls.tags += 1;
      const repository = repositories.get(facts.repositoryName);
      return repository ? { kind: 'tags', tags: repository.tags ?? {} } : { kind: 'gone' };
    },
    async tagRepository(facts, tags) {
      const repository = repositories.get(facts.repositoryName);
      if (repository === undefined) return { kind: 'gone' };
      repository.tags = { ...repository.tags, ...tags };
      writes.push(`tag:${facts.repositoryName}`);
      return { kind: 'tagged' };
    },
    async listUntaggedImages(facts) {
      calls.images += 1;
      const repository = repositories.get(facts.repositoryName);
      return repository ? { kind: 'images', images: repository.untagged ?? [] } : { kind: 'gone' };
    },
  };
  return adapter;
}

export function throttled(operation = 'PutImageTagMutability'): AwsCallError {
  return new AwsCallError('ecr', operation, 'ThrottlingException', true);
}

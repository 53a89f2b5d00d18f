import type { Repository } from './model.ts';

/** First index whose name is `>= name` (or `> name` when `strict`), by binary search over sorted names. */
function searchSorted(names: readonly string[], name: string, strict: boolean): number {
  let low = 0;
  let high = names.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const current = names[middle] ?? '';
    if (current < name || (strict && current === name)) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Bulk inserts above this size append and re-sort once instead of splicing one by one. */
const BULK_INSERT_THRESHOLD = 64;

/** One page of repositories in name order. */
export interface RepositoryPage {
  readonly repositories: readonly Repository[];
  /** True when at least one more visible repository follows the page. */
  readonly more: boolean;
}

/**
 * The repositories of one registry (account) in one region. Names are kept in a sorted array so a page
 * is a binary search plus a slice: O(log N + page), whatever the registry's size.
 */
export class RegionRegistry {
  readonly account: string;
  readonly region: string;
  private readonly names: string[] = [];
  private readonly byName = new Map<string, Repository>();

  constructor(account: string, region: string) {
    this.account = account;
    this.region = region;
  }

  /** Number of repositories, visible or not. */
  get size(): number {
    return this.names.length;
  }

  get(name: string): Repository | undefined {
    return this.byName.get(name);
  }

  /** Adds a repository; returns false (and changes nothing) when the name is taken. */
  insert(repository: Repository): boolean {
    const name = repository.repositoryName;
    if (this.byName.has(name)) return false;
    this.byName.set(name, repository);
    this.names.splice(searchSorted(this.names, name, false), 0, name);
    return true;
  }

  /** Adds or replaces many repositories at once (seeding); returns how many were new. */
  upsertMany(repositories: readonly Repository[]): number {
    const added: string[] = [];
    for (const repository of repositories) {
      const name = repository.repositoryName;
      if (!this.byName.has(name)) added.push(name);
      this.byName.set(name, repository);
    }
    if (added.length > BULK_INSERT_THRESHOLD) {
      for (const name of added) this.names.push(name);
      this.names.sort();
    } else {
      for (const name of added) this.names.splice(searchSorted(this.names, name, false), 0, name);
    }
    return added.length;
  }

  /** Removes a repository by name and returns it. */
  remove(name: string): Repository | undefined {
    const repository = this.byName.get(name);
    if (repository === undefined) return undefined;
    this.byName.delete(name);
    const index = searchSorted(this.names, name, false);
    if (this.names[index] === name) this.names.splice(index, 1);
    return repository;
  }

  /**
   * Up to `limit` repositories visible at `nowMs` whose names sort strictly after `after`. Resuming after
   * the last returned name keeps paging stable while the registry changes: nothing is returned twice and
   * nothing that existed throughout is skipped.
   */
  page(after: string | undefined, limit: number, nowMs: number): RepositoryPage {
    const repositories: Repository[] = [];
    let index = after === undefined ? 0 : searchSorted(this.names, after, true);
    for (; index < this.names.length; index++) {
      const repository = this.byName.get(this.names[index] ?? '');
      if (repository === undefined || repository.visibleAtMs > nowMs) continue;
      if (repositories.length === limit) return { repositories, more: true };
      repositories.push(repository);
    }
    return { repositories, more: false };
  }

  /** All repositories in name order (debugging and assertions). */
  list(): Repository[] {
    const repositories: Repository[] = [];
    for (const name of this.names) {
      const repository = this.byName.get(name);
      if (repository !== undefined) repositories.push(repository);
    }
    return repositories;
  }
}

/** All registries, kept apart per account and region. */
export class RepositoryStore {
  private readonly registries = new Map<string, RegionRegistry>();

  /** The registry of `account` in `region`, created empty on first use. */
  registry(account: string, region: string): RegionRegistry {
    const key = `${account}/${region}`;
    let registry = this.registries.get(key);
    if (registry === undefined) {
      registry = new RegionRegistry(account, region);
      this.registries.set(key, registry);
    }
    return registry;
  }

  /** Every registry that has been used, in creation order. */
  all(): RegionRegistry[] {
    return [...this.registries.values()];
  }

  /** Total repositories over all accounts and regions. */
  get size(): number {
    let total = 0;
    for (const registry of this.registries.values()) total += registry.size;
    return total;
  }

  clear(): void {
    this.registries.clear();
  }
}

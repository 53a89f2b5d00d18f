import type { Repository, RepositoryCreationTemplate } from './model.ts';

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

/**
 * The identity of a template prefix. ECR always assumes a `/` after a prefix (`prod` is treated as
 * `prod/`), so `prod` and `prod/` name the same template.
 */
export function templateKey(prefix: string): string {
  return prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
}

/** One page of repository creation templates in key order. */
export interface TemplatePage {
  readonly templates: readonly RepositoryCreationTemplate[];
  /** True when at least one more (wanted) template follows the page. */
  readonly more: boolean;
}

/** The repository creation templates of one registry in one region, kept in {@link templateKey} order. */
export class TemplateSet {
  private readonly keys: string[] = [];
  private readonly byKey = new Map<string, RepositoryCreationTemplate>();

  get size(): number {
    return this.keys.length;
  }

  /** The template for `prefix` (with or without its trailing `/`). */
  get(prefix: string): RepositoryCreationTemplate | undefined {
    return this.byKey.get(templateKey(prefix));
  }

  /** Adds a template; returns false (and changes nothing) when its prefix is taken. */
  insert(template: RepositoryCreationTemplate): boolean {
    const key = templateKey(template.prefix);
    if (this.byKey.has(key)) return false;
    this.byKey.set(key, template);
    this.keys.splice(searchSorted(this.keys, key, false), 0, key);
    return true;
  }

  /** Adds or replaces a template (seeding); returns true when it is new. */
  upsert(template: RepositoryCreationTemplate): boolean {
    const added = this.insert(template);
    if (!added) this.byKey.set(templateKey(template.prefix), template);
    return added;
  }

  /** Removes the template for `prefix` and returns it. */
  remove(prefix: string): RepositoryCreationTemplate | undefined {
    const key = templateKey(prefix);
    const template = this.byKey.get(key);
    if (template === undefined) return undefined;
    this.byKey.delete(key);
    const index = searchSorted(this.keys, key, false);
    if (this.keys[index] === key) this.keys.splice(index, 1);
    return template;
  }

  /**
   * Up to `limit` templates whose keys sort strictly after `after` and, when `wanted` is given, are in it.
   * As for repositories, resuming after the last returned key keeps paging stable while templates change.
   */
  page(after: string | undefined, limit: number, wanted?: ReadonlySet<string>): TemplatePage {
    const templates: RepositoryCreationTemplate[] = [];
    let index = after === undefined ? 0 : searchSorted(this.keys, after, true);
    for (; index < this.keys.length; index++) {
      const key = this.keys[index] ?? '';
      if (wanted !== undefined && !wanted.has(key)) continue;
      const template = this.byKey.get(key);
      if (template === undefined) continue;
      if (templates.length === limit) return { templates, more: true };
      templates.push(template);
    }
    return { templates, more: false };
  }

  /** All templates in key order. */
  list(): RepositoryCreationTemplate[] {
    return this.page(undefined, Number.POSITIVE_INFINITY).templates.slice();
  }
}

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
  /** The registry's repository creation templates. */
  readonly templates = new TemplateSet();

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

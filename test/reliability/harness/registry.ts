/**
 * Planned registries: every repository has a kind that says what a correct sweep must do with it,
 * spread over the listing by a seeded shuffle so that every page holds every kind.
 */

import { mulberry32 } from '../../../emulator/faults.ts';
import type { AdminClient, SeedRepository } from '../../../emulator/index.ts';
import { REGION } from './lambda.ts';

export const EXEMPT_TAG_KEY = 'ecr-guard:exempt';
export const EXEMPT_NAMES = 'sandbox/**';

export const KINDS = [
  'compliant',
  'compliant-tagged',
  'mutable',
  'mutable-tagged',
  'mutable-with-exclusion',
  'immutable-with-exclusion',
  'exempt-by-name',
  'exempt-by-tag',
] as const;
export type Kind = (typeof KINDS)[number];

/** What policy says about a kind: leave it (compliant or exempt) or write the target. */
export function expectationOf(kind: Kind): 'compliant' | 'exempt' | 'remediate' {
  switch (kind) {
    case 'compliant':
    case 'compliant-tagged':
      return 'compliant';
    case 'exempt-by-name':
    case 'exempt-by-tag':
      return 'exempt';
    case 'mutable':
    case 'mutable-tagged':
    case 'mutable-with-exclusion':
    case 'immutable-with-exclusion':
      return 'remediate';
  }
}

export interface PlannedRepository {
  readonly name: string;
  readonly kind: Kind;
  readonly seed: SeedRepository;
}

export interface RegistryPlan {
  /** Repositories in total. */
  readonly total: number;
  /** Non-compliant repositories, spread over the four non-compliant kinds. */
  readonly nonCompliant: number;
  readonly exemptByName: number;
  /** Tag exemptions; when 0, the deployment is configured without EXEMPT_TAG_KEY (no tag calls). */
  readonly exemptByTag: number;
  readonly seed: number;
  /** Distinguishes the names of one scenario's repositories from another's. */
  readonly prefix?: string;
}

function seedFor(name: string, kind: Kind): SeedRepository {
  switch (kind) {
    case 'compliant':
      return { name, imageTagMutability: 'IMMUTABLE' };
    case 'compliant-tagged':
      return {
        name,
        imageTagMutability: 'IMMUTABLE',
        tags: { team: 'payments', [EXEMPT_TAG_KEY]: 'unused' },
      };
    case 'mutable':
      return { name, imageTagMutability: 'MUTABLE' };
    case 'mutable-tagged':
      return { name, imageTagMutability: 'MUTABLE', tags: { team: 'web', owner: 'platform' } };
    case 'mutable-with-exclusion':
      return {
        name,
        imageTagMutability: 'MUTABLE_WITH_EXCLUSION',
        imageTagMutabilityExclusionFilters: [{ filter: 'release-*', filterType: 'WILDCARD' }],
      };
    case 'immutable-with-exclusion':
      return {
        name,
        imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
        imageTagMutabilityExclusionFilters: [{ filter: 'latest', filterType: 'WILDCARD' }],
      };
    case 'exempt-by-name':
      return { name, imageTagMutability: 'MUTABLE' };
    case 'exempt-by-tag':
      return { name, imageTagMutability: 'MUTABLE', tags: { [EXEMPT_TAG_KEY]: 'vendor mirror' } };
  }
}

/** Builds the repositories of a plan, names sorted, kinds shuffled over them. */
export function planRegistry(plan: RegistryPlan): PlannedRepository[] {
  const random = mulberry32(plan.seed);
  const kinds: Kind[] = [];
  const nonCompliantKinds: Kind[] = [
    'mutable',
    'mutable-tagged',
    'mutable-with-exclusion',
    'immutable-with-exclusion',
  ];
  for (let i = 0; i < plan.nonCompliant; i++) {
    // Half plain MUTABLE, the rest spread over the other non-compliant settings.
    kinds.push(i % 2 === 0 ? 'mutable' : (nonCompliantKinds[1 + (i % 3)] ?? 'mutable'));
  }
  for (let i = 0; i < plan.exemptByName; i++) kinds.push('exempt-by-name');
  for (let i = 0; i < plan.exemptByTag; i++) kinds.push('exempt-by-tag');
  const taggedCompliant = plan.exemptByTag > 0 ? Math.min(50, plan.total / 100) : 0;
  for (let i = 0; i < taggedCompliant; i++) kinds.push('compliant-tagged');
  while (kinds.length < plan.total) kinds.push('compliant');
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const swap = kinds[i] ?? 'compliant';
    kinds[i] = kinds[j] ?? 'compliant';
    kinds[j] = swap;
  }
  const groups = ['apps', 'team-b/svc', 'web'];
  const prefix = plan.prefix ?? 'r';
  const width = String(plan.total).length;
  return kinds.map((kind, index) => {
    const number = String(index).padStart(width, '0');
    const group = kind === 'exempt-by-name' ? 'sandbox' : (groups[index % groups.length] ?? 'apps');
    const name = `${group}/${prefix}-${number}`;
    return { name, kind, seed: seedFor(name, kind) };
  });
}

/** The environment that configures the policy a plan was built for. */
export function policyEnv(plan: RegistryPlan): Record<string, string> {
  return {
    EXEMPT_REPOSITORIES: EXEMPT_NAMES,
    ...(plan.exemptByTag > 0 ? { EXEMPT_TAG_KEY } : {}),
  };
}

export async function seedPlan(
  admin: AdminClient,
  repositories: readonly PlannedRepository[],
): Promise<void> {
  // Seed in chunks: the control route takes at most 1 MiB per request.
  for (let start = 0; start < repositories.length; start += 2000) {
    await admin.seed({
      region: REGION,
      repositories: repositories.slice(start, start + 2000).map((repository) => repository.seed),
    });
  }
}

export interface RepositoryState {
  readonly mutability: string;
  readonly filters: readonly string[];
}

/** name -> setting, straight from the emulator's store (no API call, nothing counted). */
export async function snapshot(admin: AdminClient): Promise<Map<string, RepositoryState>> {
  const { repositories } = await admin.repositories({ region: REGION, limit: 1_000_000 });
  return new Map(
    repositories.map((repository) => [
      repository.repositoryName,
      {
        mutability: repository.imageTagMutability,
        filters: (repository.imageTagMutabilityExclusionFilters ?? []).map((entry) => entry.filter).sort(),
      },
    ]),
  );
}

/** True when a setting meets the default target (IMMUTABLE, no exclusions). */
export function isTarget(state: RepositoryState | undefined): boolean {
  return state?.mutability === 'IMMUTABLE' && state.filters.length === 0;
}

/** The policy, the facts and the clock the decision and policy tests share. */
import type { MutabilitySetting, Policy, RepositoryFacts } from '../../lib/policy.ts';

export const NOW = new Date('2026-11-29T12:00:00Z');

export const IMMUTABLE_POLICY: Policy = {
  target: { mutability: 'IMMUTABLE', exclusionFilters: [] },
  exemptRepositories: [],
};

/** A repository `team/app` at `setting`, with `extra` facts (its tags, another name). */
export function facts(setting: MutabilitySetting, extra: Partial<RepositoryFacts> = {}): RepositoryFacts {
  return {
    repositoryName: 'team/app',
    repositoryArn: 'arn:aws:ecr:eu-west-1:123456789012:repository/team/app',
    registryId: '123456789012',
    setting,
    ...extra,
  };
}

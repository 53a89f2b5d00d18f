/**
 * `ecr-guard plan --stage-exemptions`: what it writes on a repository that would break. Its suggested
 * exclusion setting when that is compliant and keeps its moved tags mutable (never looser than before),
 * else the exemption tag and its expiry; each write is read-before and audited, and none starts after
 * Ctrl-C.
 */
import {
  type AuditRecord,
  exclusionSetRecord,
  exemptionStagedRecord,
  failedRecord,
} from '../../lib/audit.ts';
import type { GuardConfig } from '../../lib/config.ts';
import { evaluateTagExemption } from '../../lib/decision.ts';
import type { EcrAdapter } from '../../lib/ecr.ts';
import { type RepositoryPlan, stagedExemptionReason } from '../../lib/plan.ts';
import {
  describeSetting,
  isAtLeastAsStrict,
  isTagMutable,
  narrowSetting,
  type RepositoryFacts,
  type TargetSetting,
} from '../../lib/policy.ts';

/**
 * How staging ended for one would-break repository:
 * - `exclusion-set`: its suggestion (a compliant `IMMUTABLE_WITH_EXCLUSION` keeping its moved tags
 *   mutable) was written: a flip within the allowed exclusions, never looser than before;
 * - `exemption-staged`: it needs its owner, so the exemption tag and its expiry were written (over an
 *   exemption tag the policy does not honour: expired, empty or malformed);
 * - `already-exempt`: an exemption the policy honours appeared since it was listed;
 * - `gone`, `failed`; `interrupted`: Ctrl-C came before its write, so nothing was written.
 */
export type Staging =
  | 'exclusion-set'
  | 'exemption-staged'
  | 'already-exempt'
  | 'gone'
  | 'failed'
  | 'interrupted';

/** What staging reads, writes and records with. */
export interface StagingDependencies {
  readonly ecr: EcrAdapter;
  readonly config: GuardConfig;
  readonly region: string;
  readonly now: Date;
  readonly onRecord: (record: AuditRecord) => void;
  /** Ctrl-C: nothing is written after it. */
  readonly signal?: AbortSignal | undefined;
}

/** The scope of the plan's audit records: a backfill that writes. */
export function recordScope(region: string) {
  return { trigger: 'backfill', dryRun: false, region } as const;
}

/**
 * Stages one would-break repository: its suggestion written when that is a compliant exclusion setting
 * ({@link setWithinExclusions}), else the exemption tag ({@link stageExemption}). Audited.
 */
export async function stageRepository(
  deps: StagingDependencies,
  facts: RepositoryFacts,
  plan: RepositoryPlan,
  until: string,
): Promise<Staging> {
  try {
    if (plan.suggestion?.kind === 'exclusion') {
      const set = await setWithinExclusions(deps, facts, plan, plan.suggestion.setting);
      if (set !== undefined) return set;
    }
    return await stageExemption(deps, facts, plan, until);
  } catch (error) {
    deps.onRecord(failedRecord(facts, error, recordScope(deps.region)));
    return 'failed';
  }
}

/**
 * Writes `suggested` narrowed to what the repository leaves mutable now (read again: it may have changed
 * since it was listed), so the write is never looser than the setting it replaces; undefined when that
 * no longer keeps every moved tag mutable or is not compliant (then the repository needs its owner).
 */
async function setWithinExclusions(
  deps: StagingDependencies,
  facts: RepositoryFacts,
  plan: RepositoryPlan,
  suggested: TargetSetting,
): Promise<Staging | undefined> {
  const current = await deps.ecr.describeRepository(facts);
  if (current.kind === 'gone') return 'gone';
  const before = current.facts;
  const written = narrowSetting(before.setting, suggested.exclusionFilters).setting;
  const moved = plan.movedTags.map((tag) => tag.tag);
  if (!isAtLeastAsStrict(written, deps.config.policy) || !moved.every((tag) => isTagMutable(written, tag))) {
    return undefined;
  }
  if (deps.signal?.aborted === true) return 'interrupted';
  const result = await deps.ecr.setMutability(before, written);
  if (result.kind === 'gone') return 'gone';
  deps.onRecord(
    exclusionSetRecord(
      before,
      result.facts.setting,
      `plan: set within the allowed exclusions to ${describeSetting(result.facts.setting)}, keeping moved tags [${moved.join(', ')}] mutable; no tag immutable before is mutable now`,
      recordScope(deps.region),
    ),
  );
  return 'exclusion-set';
}

/**
 * Puts the exemption tag (the moved tags and the date) and its expiry on a repository that needs its
 * owner. An exemption tag the policy honours is kept (`already-exempt`); one it does not (expired, empty,
 * malformed expiry: lib/decision.ts `evaluateTagExemption`) is replaced, since the next sweep would flip it.
 */
async function stageExemption(
  deps: StagingDependencies,
  facts: RepositoryFacts,
  plan: RepositoryPlan,
  until: string,
): Promise<Staging> {
  const rule = deps.config.policy.exemptTag;
  const expiryKey = rule?.expiryKey;
  if (rule === undefined || expiryKey === undefined) return 'failed';
  const reason = stagedExemptionReason(plan.breakingTags, until);
  const current = await deps.ecr.listTags(facts);
  if (current.kind === 'gone') return 'gone';
  const existing = evaluateTagExemption(current.tags, rule, deps.now);
  if (existing.exempt) return 'already-exempt';
  if (deps.signal?.aborted === true) return 'interrupted';
  const tagged = await deps.ecr.tagRepository(facts, { [rule.key]: reason, [expiryKey]: until });
  if (tagged.kind === 'gone') return 'gone';
  const replaced =
    existing.note === '' ? '' : ` (replacing an exemption not honoured${existing.note.replace(/^;/, ':')})`;
  deps.onRecord(
    exemptionStagedRecord(
      facts,
      `staged exemption ${rule.key}='${reason}' ${expiryKey}='${until}'${replaced}`,
      recordScope(deps.region),
    ),
  );
  return 'exemption-staged';
}

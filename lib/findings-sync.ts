/**
 * Security Hub in step with the guard: from the guard's decisions in an account-region (audit records) and
 * the ACTIVE ECR.2 control findings found there, the BatchUpdateFindings requests that bring each finding
 * in line. Pure: no SDK, no clock (`now` is passed), no logging. The adapter that reads and writes
 * Security Hub is lib/securityhub.ts. See docs/architecture.md, "Security Hub".
 *
 * Per finding of a repository the guard decided (dry runs decide nothing here: they write nowhere):
 * - `exempt`, control FAILED → SUPPRESSED, a note naming the rule, the reason and the expiry, and the
 *   guard's marker in `UserDefinedFields`;
 * - `compliant` at a setting the control fails (IMMUTABLE_WITH_EXCLUSION the policy allows) → SUPPRESSED,
 *   a note naming the policy, and the marker;
 * - `remediated` → a note saying when and why (the control turns PASSED itself once Config re-evaluates);
 * - a finding the guard suppressed whose repository is no longer exempt (the exemption expired or was
 *   removed: now remediated or compliant) → back to NEW with a note, marked released;
 * - a finding a person suppressed (SUPPRESSED without the guard's `suppressed` marker) is never touched;
 * - a finding already as wanted needs nothing, so a second run makes no call.
 * BatchUpdateFindings applies one update to up to 100 findings, so identical updates are grouped and cut
 * into batches of 100.
 * @see https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_BatchUpdateFindings.html
 */
import type { AuditRecord, AuditSetting } from './audit.ts';
import {
  compliantNote,
  exemptNote,
  fitText,
  MAX_NOTE_LENGTH,
  releaseNote,
  remediationNote,
} from './finding-notes.ts';
import type { Policy } from './policy.ts';

/** The key of the guard's marker in a finding's `UserDefinedFields`. */
// Stryker disable next-line StringLiteral: static (built at import), which Stryker 10 activates after the module loaded and reports surviving whatever the tests do (stryker-js 6144, 6209); `marks a finding under the key ecr-immutability-guard` fails on it emptied.
export const GUARD_MARKER_KEY = 'ecr-immutability-guard';
/** The marker's values: what the guard last did to the finding. */
export type GuardMarker = 'suppressed' | 'released' | 'remediated';
/** `Note.UpdatedBy` of the guard's notes unless the caller names itself. */
// Stryker disable next-line StringLiteral: static (built at import), which Stryker 10 activates after the module loaded and reports surviving whatever the tests do (stryker-js 6144, 6209); `names the rule, the reason and the expiry of a tag exemption in the note` fails on it emptied.
export const DEFAULT_UPDATED_BY = 'ecr-immutability-guard';
/** BatchUpdateFindings: at most 100 findings per call. */
export const MAX_FINDINGS_PER_UPDATE = 100;
/** Security Hub keeps at most 50 user-defined fields per finding. */
export const MAX_USER_DEFINED_FIELDS = 50;
/** The control this sync follows. */
// Stryker disable next-line StringLiteral: static (built at import), which Stryker 10 activates after the module loaded and reports surviving whatever the tests do (stryker-js 6144, 6209); the GetFindings filter test of test/unit/securityhub-adapter.test.ts fails on it emptied.
export const ECR2_CONTROL_ID = 'ECR.2';

/** An ECR.2 control finding as the sync reads it (the adapter builds it from GetFindings). */
export interface ControlFinding {
  readonly id: string;
  readonly productArn: string;
  readonly accountId: string;
  readonly region: string;
  /** The repository ARN: the finding's resource. */
  readonly resourceId: string;
  /** `PASSED`, `FAILED`, `WARNING`, `NOT_AVAILABLE`, or absent. */
  readonly complianceStatus: string | undefined;
  /** `NEW`, `NOTIFIED`, `RESOLVED` or `SUPPRESSED`. */
  readonly workflowStatus: string;
  readonly noteText: string | undefined;
  readonly userDefinedFields: Readonly<Record<string, string>>;
}

/** Why the sync asks for an update. */
export type SyncAction = 'suppress-exempt' | 'suppress-compliant' | 'note-remediated' | 'release';

/** How each finding ended: an action, or why none was needed. Every finding ends in exactly one. */
export const FINDING_OUTCOMES = [
  'suppress-exempt',
  'suppress-compliant',
  'note-remediated',
  'release',
  'in-line',
  'left-to-person',
  'no-decision',
  'fields-full',
] as const;
export type FindingOutcome = (typeof FINDING_OUTCOMES)[number];

/** A finding's identity in Security Hub. */
export interface FindingIdentifier {
  readonly id: string;
  readonly productArn: string;
}

/** One BatchUpdateFindings request: one update for up to 100 findings. */
export interface FindingUpdate {
  readonly action: SyncAction;
  readonly findings: readonly FindingIdentifier[];
  /** Absent: the workflow status is left as it is. */
  readonly workflowStatus?: 'NEW' | 'SUPPRESSED';
  readonly note: { readonly text: string; readonly updatedBy: string };
  readonly userDefinedFields: Readonly<Record<string, string>>;
}

export interface SyncPlan {
  readonly updates: readonly FindingUpdate[];
  readonly outcomes: Readonly<Record<FindingOutcome, number>>;
  /** Repositories the guard decided that have no ACTIVE ECR.2 finding (yet): nothing to bring in line. */
  readonly decidedWithoutFinding: number;
}

export interface SyncInput {
  /** The guard's audit records for the account-region, in decision order (the last one per repository counts). */
  readonly records: readonly AuditRecord[];
  /** The ACTIVE ECR.2 findings of the account-region. */
  readonly findings: readonly ControlFinding[];
  /** The policy in force, named in notes. */
  readonly policy: Pick<Policy, 'target' | 'allowedExclusions' | 'exemptTag'>;
  readonly now: Date;
  /** `Note.UpdatedBy`; default {@link DEFAULT_UPDATED_BY}. */
  readonly updatedBy?: string;
}

/** What the guard decided about one repository, as far as Security Hub is concerned. */
type RepositoryDecision =
  | { readonly kind: 'exempt'; readonly reason: string }
  | { readonly kind: 'compliant'; readonly setting: AuditSetting | undefined; readonly reason: string }
  | {
      readonly kind: 'remediated';
      readonly before: AuditSetting | undefined;
      readonly after: AuditSetting | undefined;
      readonly reason: string;
    };

function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** The ARN a record's repository has: its own, or built from its registry, Region and name. */
export function repositoryArnOf(record: AuditRecord): string | undefined {
  if (record.repositoryArn !== undefined) return record.repositoryArn;
  const { registryId, region, repositoryName } = record;
  if (registryId === undefined || region === undefined || repositoryName === undefined) return undefined;
  return `arn:${partitionOf(region)}:ecr:${region}:${registryId}:repository/${repositoryName}`;
}

/** The decision of a record, or undefined for records that decide nothing about the finding. */
function decisionOf(record: AuditRecord): RepositoryDecision | undefined {
  if (record.dryRun || record.templatePrefix !== undefined) return undefined;
  switch (record.outcome) {
    case 'exempt':
      return { kind: 'exempt', reason: record.reason };
    case 'compliant':
      return { kind: 'compliant', setting: record.after ?? record.before, reason: record.reason };
    case 'remediated':
      return { kind: 'remediated', before: record.before, after: record.after, reason: record.reason };
    case 'would-remediate':
    case 'gone':
    case 'failed':
    case 'ignored':
    case 'exemption-staged':
    case 'blocked-overwrite':
      return undefined;
  }
}

/** Whether a record decides its repository's finding (a real exempt, compliant or remediated decision). */
export function decidesFinding(record: AuditRecord): boolean {
  return decisionOf(record) !== undefined;
}

/** What one finding needs: an update (action, status, note, marker) or the reason it needs none. */
type Need =
  | {
      readonly action: SyncAction;
      readonly workflowStatus?: 'NEW' | 'SUPPRESSED';
      readonly note: string;
      readonly marker: GuardMarker;
    }
  | { readonly none: Exclude<FindingOutcome, SyncAction> };

function suppression(
  finding: ControlFinding,
  guardSuppressed: boolean,
  action: 'suppress-exempt' | 'suppress-compliant',
  note: string,
): Need {
  if (guardSuppressed && finding.noteText === note) return { none: 'in-line' };
  return { action, workflowStatus: 'SUPPRESSED', note, marker: 'suppressed' };
}

/** The need of one finding given the guard's decision on its repository. */
function needOf(finding: ControlFinding, decision: RepositoryDecision, input: SyncInput): Need {
  const marker = finding.userDefinedFields[GUARD_MARKER_KEY];
  const suppressed = finding.workflowStatus === 'SUPPRESSED';
  const guardSuppressed = suppressed && marker === 'suppressed';
  if (suppressed && !guardSuppressed) return { none: 'left-to-person' };
  const failing = finding.complianceStatus === 'FAILED';
  switch (decision.kind) {
    case 'exempt':
      if (!failing) return { none: 'in-line' };
      return suppression(
        finding,
        guardSuppressed,
        'suppress-exempt',
        exemptNote(decision.reason, input.policy),
      );
    case 'compliant': {
      const immutable = decision.setting?.imageTagMutability === 'IMMUTABLE';
      if (failing && !immutable)
        return suppression(
          finding,
          guardSuppressed,
          'suppress-compliant',
          compliantNote(decision.reason, input.policy),
        );
      // Passing, or IMMUTABLE and about to pass once Config re-evaluates: only the guard's own suppression goes.
      if (!guardSuppressed) return { none: 'in-line' };
      return {
        action: 'release',
        workflowStatus: 'NEW',
        note: releaseNote(decision.reason),
        marker: 'released',
      };
    }
    case 'remediated': {
      const note = remediationNote(decision.before, decision.after, decision.reason, input.now);
      if (guardSuppressed)
        return { action: 'release', workflowStatus: 'NEW', note: note.text, marker: 'remediated' };
      if (marker === 'remediated' && finding.noteText?.startsWith(note.stem) === true)
        return { none: 'in-line' };
      return { action: 'note-remediated', note: note.text, marker: 'remediated' };
    }
  }
}

/** Counts of no finding yet, one per outcome. */
export function emptyOutcomes(): Record<FindingOutcome, number> {
  return {
    'suppress-exempt': 0,
    'suppress-compliant': 0,
    'note-remediated': 0,
    release: 0,
    'in-line': 0,
    'left-to-person': 0,
    'no-decision': 0,
    'fields-full': 0,
  };
}

/** Findings that need the same update. */
interface UpdateGroup {
  readonly update: Omit<FindingUpdate, 'findings'>;
  readonly findings: FindingIdentifier[];
}

/**
 * Plans the BatchUpdateFindings requests that bring the findings in line with the records. Deterministic:
 * updates come in the order of the first finding that needs each, findings in input order.
 */
export function planFindingUpdates(input: SyncInput): SyncPlan {
  const decisions = new Map<string, RepositoryDecision>();
  for (const record of input.records) {
    const arn = repositoryArnOf(record);
    const decision = decisionOf(record);
    if (arn !== undefined && decision !== undefined) decisions.set(arn, decision);
  }
  const outcomes = emptyOutcomes();
  const updatedBy = fitText(input.updatedBy ?? DEFAULT_UPDATED_BY, MAX_NOTE_LENGTH);
  const groups = new Map<
    string,
    { update: Omit<FindingUpdate, 'findings'>; findings: FindingIdentifier[] }
  >();
  const withFinding = new Set<string>();
  for (const finding of input.findings) {
    const decision = decisions.get(finding.resourceId);
    if (decision === undefined) {
      outcomes['no-decision'] += 1;
      continue;
    }
    withFinding.add(finding.resourceId);
    const need = needOf(finding, decision, input);
    if ('none' in need) {
      outcomes[need.none] += 1;
      continue;
    }
    // Sent whole, with the finding's other fields, so that neither a merging nor a replacing update loses them.
    const userDefinedFields = { ...finding.userDefinedFields, [GUARD_MARKER_KEY]: need.marker };
    if (Object.keys(userDefinedFields).length > MAX_USER_DEFINED_FIELDS) {
      outcomes['fields-full'] += 1;
      continue;
    }
    outcomes[need.action] += 1;
    const update = {
      action: need.action,
      ...(need.workflowStatus === undefined ? {} : { workflowStatus: need.workflowStatus }),
      note: { text: need.note, updatedBy },
      userDefinedFields,
    };
    const key = JSON.stringify([
      need.action,
      // Stryker disable next-line LogicalOperator: `&&` is equivalent, the status follows from the action (release: NEW, suppress-*: SUPPRESSED, note-remediated: none), so the action in the key already keeps apart what the status would.
      need.workflowStatus ?? null,
      need.note,
      Object.entries(userDefinedFields).sort(),
    ]);
    const group: UpdateGroup = groups.get(key) ?? { update, findings: [] };
    group.findings.push({ id: finding.id, productArn: finding.productArn });
    groups.set(key, group);
  }
  const updates: FindingUpdate[] = [];
  for (const { update, findings } of groups.values()) {
    for (let start = 0; start < findings.length; start += MAX_FINDINGS_PER_UPDATE)
      updates.push({ ...update, findings: findings.slice(start, start + MAX_FINDINGS_PER_UPDATE) });
  }
  return {
    updates,
    outcomes,
    decidedWithoutFinding: [...decisions.keys()].filter((arn) => !withFinding.has(arn)).length,
  };
}

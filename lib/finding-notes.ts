/**
 * The notes the guard writes on ECR.2 findings (lib/findings-sync.ts decides which): each says who acted
 * and why (the exemption's rule, reason and expiry, the policy, the settings before and after) and fits
 * BatchUpdateFindings' 512 characters. Pure.
 * @see https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_BatchUpdateFindings.html
 */
import type { AuditSetting } from './audit.ts';
import { readExemption } from './exemption-reason.ts';
import { describeSetting, type Policy } from './policy.ts';

/** BatchUpdateFindings: a note of at most 512 characters. */
export const MAX_NOTE_LENGTH = 512;

/** What the notes name of the policy. */
type NotePolicy = Pick<Policy, 'target' | 'allowedExclusions' | 'exemptTag'>;

/** Cuts `text` to `max` characters, ending with `…` when cut. */
export function fitText(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

function settingText(setting: AuditSetting | undefined): string {
  if (setting === undefined) return 'unknown';
  return describeSetting({
    mutability: setting.imageTagMutability,
    exclusionFilters: setting.exclusionFilters,
  });
}

/** The policy as notes name it: `target IMMUTABLE_WITH_EXCLUSION [latest], allowed exclusions [dev-*]`. */
export function describePolicy(policy: NotePolicy): string {
  const allowed = policy.allowedExclusions ?? [];
  return `target ${describeSetting(policy.target)}${allowed.length > 0 ? `, allowed exclusions [${[...allowed].sort().join(', ')}]` : ''}`;
}

/** The note of a finding suppressed because its repository is exempt: the rule, the reason, the expiry. */
export function exemptNote(reason: string, policy: NotePolicy): string {
  const exemption = readExemption(reason, policy.exemptTag?.key);
  return fitText(
    `Suppressed by ecr-immutability-guard: exempt under rule ${exemption.rule}; reason: ${exemption.reason}; expires: ${exemption.expiry ?? 'never'}.`,
    MAX_NOTE_LENGTH,
  );
}

/** The note of a finding suppressed because the policy finds its repository compliant where ECR.2 does not. */
export function compliantNote(reason: string, policy: NotePolicy): string {
  return fitText(
    `Suppressed by ecr-immutability-guard: compliant under the policy (${describePolicy(policy)}) although ECR.2 fails it; ${reason}.`,
    MAX_NOTE_LENGTH,
  );
}

/** The note of a finding whose suppression the guard lifts: the repository is no longer exempt. */
export function releaseNote(reason: string): string {
  return fitText(
    `Released by ecr-immutability-guard: the repository is no longer exempt, so its suppression is lifted; ${reason}.`,
    MAX_NOTE_LENGTH,
  );
}

/**
 * The remediation note without its time (what a repeated run compares), and the whole note. The time is
 * last so that the part before it is the same on every run for the same change.
 */
export function remediationNote(
  before: AuditSetting | undefined,
  after: AuditSetting | undefined,
  reason: string,
  now: Date,
): { stem: string; text: string } {
  const suffix = now.toISOString();
  const stem = fitText(
    `Remediated by ecr-immutability-guard: ${settingText(before)} -> ${settingText(after)}; ${reason}; at `,
    MAX_NOTE_LENGTH - suffix.length,
  );
  return { stem, text: `${stem}${suffix}` };
}

/**
 * What the Security Hub sink (lib/securityhub.ts, lib/findings-sync.ts) needs of IAM, without the SDK: the
 * construct library (infra/) reads these, so its grants follow the code.
 */
import type { SecurityHubAdapter } from './securityhub.ts';

/** The IAM actions each adapter operation needs, one entry per operation. */
export const SECURITY_HUB_ACTIONS = {
  findControlFindings: ['securityhub:GetFindings'],
  updateFindings: ['securityhub:BatchUpdateFindings'],
} as const satisfies Record<keyof SecurityHubAdapter, readonly `securityhub:${string}`[]>;

/**
 * The workflow statuses the guard sets: the values an IAM policy allows with the condition key
 * `securityhub:ASFFSyntaxPath/Workflow.Status`
 * (https://docs.aws.amazon.com/securityhub/latest/userguide/finding-update-batchupdatefindings.html).
 */
export const GUARD_WORKFLOW_STATUSES = ['NEW', 'SUPPRESSED'] as const;

/**
 * Audit events on EventBridge: every finding, remediation, exemption and failure as an event
 * (`source` `ecr-immutability-guard`), so teams can route them to SNS, Security Hub or a SIEM.
 * https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import type { AuditPublisher, AuditRecord, Outcome } from './audit.ts';
import { errorCodeOf } from './errors.ts';

export const AUDIT_EVENT_SOURCE = 'ecr-immutability-guard';

export const AUDIT_DETAIL_TYPES = {
  enforced: 'ECR Repository Tag Mutability Enforced',
  exempted: 'ECR Repository Tag Mutability Exempted',
  failed: 'ECR Repository Tag Mutability Failed',
  exemptionStaged: 'ECR Repository Tag Mutability Exemption Staged',
  blockedOverwrite: 'ECR Image Tag Overwrite Blocked',
} as const;

/** The detail-type of the audit event for an outcome, or undefined when the outcome is not published. */
export function auditDetailType(outcome: Outcome): string | undefined {
  switch (outcome) {
    case 'remediated':
    case 'would-remediate':
      return AUDIT_DETAIL_TYPES.enforced;
    case 'exempt':
      return AUDIT_DETAIL_TYPES.exempted;
    case 'failed':
      return AUDIT_DETAIL_TYPES.failed;
    case 'exemption-staged':
      return AUDIT_DETAIL_TYPES.exemptionStaged;
    case 'blocked-overwrite':
      return AUDIT_DETAIL_TYPES.blockedOverwrite;
    case 'compliant':
    case 'gone':
    case 'ignored':
      return undefined;
  }
}

const MAX_ENTRIES_PER_CALL = 10;
const DEFAULT_ATTEMPTS = 3;

export interface AuditPublisherOptions {
  readonly eventBusName: string;
  readonly logger: Logger;
  /** Attempts per entry, counting the first; only failed entries are retried. */
  readonly attempts?: number;
}

/** Creates a publisher over a ready `EventBridgeClient`. It never throws: failures are logged and counted. */
export function createAuditPublisher(
  client: EventBridgeClient,
  options: AuditPublisherOptions,
): AuditPublisher {
  const attempts = options.attempts ?? DEFAULT_ATTEMPTS;

  async function sendBatch(entries: PutEventsRequestEntry[]): Promise<number> {
    let remaining = entries;
    for (let attempt = 1; attempt <= attempts && remaining.length > 0; attempt++) {
      try {
        const output = await client.send(new PutEventsCommand({ Entries: remaining }));
        if (!output.FailedEntryCount) return 0;
        // Results are positional: retry exactly the entries that carry an ErrorCode.
        const results = output.Entries ?? [];
        const failed = remaining.filter(
          (_, index) => results[index]?.ErrorCode !== undefined || !results[index]?.EventId,
        );
        const codes = [...new Set(results.flatMap((result) => (result.ErrorCode ? [result.ErrorCode] : [])))];
        options.logger.warn('audit events partially rejected', { attempt, failed: failed.length, codes });
        remaining = failed;
      } catch (error) {
        options.logger.warn('audit events could not be published', {
          attempt,
          errorCode: errorCodeOf(error),
        });
      }
    }
    return remaining.length;
  }

  return {
    async publish(records: readonly AuditRecord[]) {
      const entries: PutEventsRequestEntry[] = [];
      for (const record of records) {
        const detailType = auditDetailType(record.outcome);
        if (detailType === undefined) continue;
        entries.push({
          EventBusName: options.eventBusName,
          Source: AUDIT_EVENT_SOURCE,
          DetailType: detailType,
          Detail: JSON.stringify(record),
          Resources: record.repositoryArn ? [record.repositoryArn] : [],
        });
      }
      let failed = 0;
      for (let start = 0; start < entries.length; start += MAX_ENTRIES_PER_CALL) {
        failed += await sendBatch(entries.slice(start, start + MAX_ENTRIES_PER_CALL));
      }
      if (failed > 0) options.logger.error('audit events lost after retries', { failed });
      return { published: entries.length - failed, failed };
    },
  };
}

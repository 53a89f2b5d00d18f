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
import type { AuditPublisher, AuditRecord } from './audit.ts';
import { errorCodeOf } from './errors.ts';
import { AUDIT_PUBLISH_FAILURES_METRIC, auditDetailType } from './outcomes.ts';

// Stryker disable next-line StringLiteral: static (set once at import; Stryker activates it after the module loaded, stryker-js issue 6144): emptied, it fails `publishes in batches of at most 10 entries`, which asserts the Source
export const AUDIT_EVENT_SOURCE = 'ecr-immutability-guard';

/** The detail-types, and the one of each outcome, are columns of the outcome table (lib/outcomes.ts). */
export { AUDIT_DETAIL_TYPES, auditDetailType } from './outcomes.ts';

const MAX_ENTRIES_PER_CALL = 10;
const DEFAULT_ATTEMPTS = 3;

export interface AuditPublisherOptions {
  readonly eventBusName: string;
  /** Where partial rejections and losses are told (the functions' Powertools logger; the CLI's stderr). */
  readonly logger: Pick<Logger, 'warn' | 'error'>;
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
    name: 'auditEvents',
    failureMetric: AUDIT_PUBLISH_FAILURES_METRIC,
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
      // Stryker disable next-line EqualityOperator: `start <= entries.length` is equivalent, the extra round slices no entry and sendBatch sends nothing for none; `>=`, disabled with it, sends nothing and fails `publishes in batches of at most 10 entries`
      for (let start = 0; start < entries.length; start += MAX_ENTRIES_PER_CALL) {
        failed += await sendBatch(entries.slice(start, start + MAX_ENTRIES_PER_CALL));
      }
      if (failed > 0) options.logger.error('audit events lost after retries', { failed });
      return { published: entries.length - failed, failed };
    },
  };
}

/**
 * The CLI's audit sinks: the list the functions build from the same settings (lib/audit-sinks.ts), made on
 * the first account-region of a pass with the caller's own credentials (the audit bus in the run's first
 * region; Security Hub in `--security-hub-region` or each account-region's own). Each account-region gets an
 * auditor of its own over them, flushed when its sweep ends, so that its audit events go out and its
 * findings are synced once; the reporter prints the records, so the auditor logs nothing and emits no
 * metric. See docs/architecture.md, "Audit".
 */

import type { AuditRecord } from '../lib/audit.ts';
import { type AuditSinks, createAuditSinks } from '../lib/audit-sinks.ts';
import { createAuditor, type SinkSummaries, sinkSummaries } from '../lib/auditor.ts';
import type { GuardConfig } from '../lib/config.ts';
import { type Io, printable, progressLineOf } from './output.ts';
import type { JobContext } from './pass.ts';

/** One account-region's decisions on their way to the sinks. */
export interface AuditedJob {
  /** The job's `record`, and the same record (with account and region) through the auditor. */
  record(record: AuditRecord): void;
  /** Once, when the account-region ends: its audit events go out, its findings are synced. */
  flush(options: { readonly complete: boolean }): Promise<SinkSummaries | undefined>;
}

export interface CliSinks {
  /** The decisions of one account-region of the pass, through a fresh auditor over the run's sinks. */
  audit(job: Pick<JobContext, 'target' | 'clients' | 'record'>): Promise<AuditedJob>;
  /** Destroys the sinks' clients. */
  destroy(): void;
}

/** Formats a sink's log call (a message and its fields) as one line. */
function line(message: unknown, fields: readonly unknown[]): string {
  const extra = fields.map((field) => JSON.stringify(field)).join(' ');
  return `${String(message)}${extra === '' ? '' : ` ${extra}`}`;
}

/** The sinks of a run; what they could not do is one warning line on stderr each. */
export function createCliSinks(config: GuardConfig, io: Pick<Io, 'stderr' | 'signal'>): CliSinks {
  let sinks: Promise<AuditSinks> | undefined;
  const warn = (message: unknown, ...fields: unknown[]) => {
    progressLineOf(io.stderr).clear();
    io.stderr.write(`ecr-guard: warning: ${printable(line(message, fields))}\n`);
  };
  const logger = { warn, error: warn };
  const { signal } = io;
  return {
    async audit({ target, clients, record }) {
      sinks ??= createAuditSinks(
        config,
        {
          config: (region) => clients.own(region, 8),
          homeRegion: clients.homeRegion,
          onClient: clients.limitCalls,
        },
        // No deadline on a workstation; after Ctrl-C no sink starts another call.
        { logger, remainingMs: () => (signal?.aborted === true ? 0 : undefined) },
      );
      const auditor = createAuditor({ sinks: (await sinks).create(), logCompliant: false });
      return {
        record(entry) {
          record(entry);
          auditor.record({ ...entry, accountId: target.accountId, region: target.region });
        },
        flush: async ({ complete }) => sinkSummaries(await auditor.flush({ complete })),
      };
    },
    destroy() {
      sinks?.then((made) => made.destroy()).catch(() => {});
    },
  };
}

/**
 * What the CLI prints. On a TTY: a progress line on stderr and readable lines and tables on stdout, every
 * name from AWS made printable first ({@link printable}). Off a TTY or with --json: JSON lines on stdout
 * only, no colour, no progress.
 */
import type { AuditRecord } from '../lib/audit.ts';
import type { SinkSummaries } from '../lib/auditor.ts';
import type { AccountRegionSummary, OrgRunSummary } from '../lib/org-sweep.ts';
import { DECISION_OUTCOMES, type OutcomeCounts } from '../lib/outcomes.ts';
import { describeSetting } from '../lib/policy.ts';

export interface Io {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborted on Ctrl-C: the pass stops and prints its partial summary. */
  readonly signal?: AbortSignal | undefined;
}

/**
 * Control characters (C0, DEL, C1: `\p{Cc}`), the invisible format characters that reorder or hide text
 * (bidirectional overrides, zero-width spaces: `\p{Cf}`) and line separators, escaped: a tag or a
 * repository name read from AWS must not move the cursor, clear a line or forge a table row on a terminal.
 */
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (character) => {
    switch (character) {
      case '\n':
        return '\\n';
      case '\r':
        return '\\r';
      case '\t':
        return '\\t';
      default: {
        const code = character.codePointAt(0) ?? 0;
        if (code <= 0xff) return `\\x${code.toString(16).padStart(2, '0')}`;
        return code <= 0xffff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\u{${code.toString(16)}}`;
      }
    }
  });
}

/** The one progress line of a stream: drawn in place, cleared before anything else is written. */
export interface ProgressLine {
  show(text: string): void;
  clear(): void;
}

const progressLines = new WeakMap<object, ProgressLine>();

/** The progress line of `stream` (one per stream, shared by every writer of this run). */
export function progressLineOf(stream: Io['stderr']): ProgressLine {
  let line = progressLines.get(stream);
  if (line === undefined) {
    let shown = false;
    line = {
      show(text) {
        stream.write(`\r\u001b[2K${printable(text)}`);
        shown = true;
      },
      clear() {
        if (shown) stream.write('\r\u001b[2K');
        shown = false;
      },
    };
    progressLines.set(stream, line);
  }
  return line;
}

/**
 * Rows as aligned columns: every cell made printable, then padded to its column's widest cell (`right`
 * columns are numbers, aligned right). The last column is not padded.
 */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  right: (column: number) => boolean = () => false,
): string[] {
  const cells = [header, ...rows].map((row) => row.map(printable));
  const widths = header.map((_, index) => Math.max(...cells.map((row) => row[index]?.length ?? 0)));
  const last = header.length - 1;
  return cells.map((row) =>
    row
      .map((cell, index) => {
        if (index === last) return cell;
        const width = widths[index] ?? 0;
        return right(index) ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd(),
  );
}

/** One account-region of a pass as the repository commands report it. */
export interface ReportLine extends AccountRegionSummary {
  /** Names given on the command line that do not exist in this account-region. */
  readonly missing: readonly string[];
  /** Ctrl-C stopped the run before this account-region ended: its counts are what was decided until then. */
  readonly interrupted?: boolean;
  /** What the audit sinks did with this account-region's decisions (audit events, Security Hub findings). */
  readonly sinks?: SinkSummaries;
}

export interface Report extends OrgRunSummary {
  readonly accountRegions: readonly ReportLine[];
}

export interface Reporter {
  record(record: AuditRecord): void;
  progress(where: string, scanned: number, counts: Readonly<OutcomeCounts>): void;
  /** An account-region has ended (TTY: one line on stderr). */
  accountRegion(line: AccountRegionSummary): void;
  /** Every account-region of the scope, grouped by account, and the totals. */
  summary(report: Report, options: { readonly interrupted: boolean }): void;
  error(message: string): void;
}

/** The repository decisions: the columns of the summary table. */
const SUMMARY_OUTCOMES = DECISION_OUTCOMES;

/** An audit record's setting, formatted as the policy formats settings in its reasons. */
function formatSetting(setting: AuditRecord['before']): string {
  if (setting === undefined) return '-';
  return describeSetting({
    mutability: setting.imageTagMutability,
    exclusionFilters: setting.exclusionFilters,
  });
}

/** Why an account-region ended as it did, in a few words. */
function detailOf(line: ReportLine): string {
  const missing = line.missing.length > 0 ? `missing: ${line.missing.join(', ')}` : '';
  const status =
    line.interrupted === true
      ? 'interrupted'
      : line.status === 'failed'
        ? `${line.errorCode ?? 'error'}: ${line.reason ?? ''}`
        : line.status === 'skipped'
          ? `${line.skipReason ?? 'skipped'}: ${line.reason ?? ''}`
          : line.status === 'incomplete'
            ? 'stopped before the end'
            : '';
  return [status, missing].filter((part) => part !== '').join('; ');
}

export function createReporter(io: Io, options: { json: boolean; verbose: boolean }): Reporter {
  const json = options.json || !io.stdout.isTTY;
  const colour = !json && io.stdout.isTTY === true && io.env.NO_COLOR === undefined;
  const bar = !json && io.stderr.isTTY === true;
  const paint = (code: number, text: string) => (colour ? `\u001b[${code}m${text}\u001b[0m` : text);
  const started = Date.now();
  const progressLine = progressLineOf(io.stderr);

  return {
    record(record) {
      if (record.outcome === 'compliant' && !options.verbose) return;
      if (json) {
        io.stdout.write(`${JSON.stringify({ type: 'audit', ...record })}\n`);
        return;
      }
      progressLine.clear();
      const tone = record.outcome === 'failed' ? 31 : record.outcome === 'compliant' ? 32 : 33;
      const change =
        record.outcome === 'remediated' || record.outcome === 'would-remediate'
          ? `${formatSetting(record.before)} -> ${formatSetting(record.after)}`
          : formatSetting(record.before);
      const subject =
        record.templatePrefix !== undefined
          ? `creation template ${record.templatePrefix}`
          : (record.repositoryName ?? '');
      const where = record.accountId === undefined ? '' : `${record.accountId} `;
      io.stdout.write(
        `${paint(tone, record.outcome.padEnd(15))} ${printable(`${where}${record.region ?? ''} ${subject}  ${change}  (${record.reason})`)}\n`,
      );
    },
    progress(where, scanned, counts) {
      if (!bar) return;
      const seconds = Math.max(0.001, (Date.now() - started) / 1000);
      const found = counts.remediated + counts['would-remediate'] + counts.failed;
      const fixed = counts.remediated;
      const width = 20;
      const filled = Math.min(width, Math.floor((scanned % 10_000) / (10_000 / width)));
      progressLine.show(
        `${where} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] scanned ${scanned.toLocaleString('en')} | non-compliant ${found} | fixed ${fixed} | ${Math.round(scanned / seconds)} repos/s`,
      );
    },
    accountRegion(line) {
      if (!bar) return;
      progressLine.clear();
      const tone = line.status === 'failed' ? 31 : line.status === 'skipped' ? 33 : 32;
      const detail =
        line.status === 'failed'
          ? `${line.errorCode ?? 'error'}: ${line.reason ?? ''}`
          : line.status === 'skipped'
            ? (line.reason ?? '')
            : `${line.scanned} scanned, ${line.counts.remediated + line.counts['would-remediate']} non-compliant`;
      io.stderr.write(
        `${paint(tone, line.status.padEnd(10))} ${printable(`${line.accountId} ${line.region}  ${detail}`)}\n`,
      );
    },
    summary(report, { interrupted }) {
      progressLine.clear();
      if (json) {
        for (const line of report.accountRegions) {
          io.stdout.write(`${JSON.stringify({ type: 'summary', ...line })}\n`);
        }
        io.stdout.write(
          `${JSON.stringify({ type: 'total', result: interrupted ? 'interrupted' : report.result, statusCounts: report.statusCounts, totals: report.totals, templateTotals: report.templateTotals, scanned: report.scanned })}\n`,
        );
        return;
      }
      const header = ['account', 'region', 'status', 'scanned', ...SUMMARY_OUTCOMES, 'seconds', 'detail'];
      const rows: string[][] = [];
      let previous: string | undefined;
      for (const line of report.accountRegions) {
        const account =
          line.accountId === previous
            ? ''
            : `${line.accountId}${line.accountName === undefined ? '' : ` ${line.accountName}`}`;
        previous = line.accountId;
        rows.push([
          account,
          line.region,
          line.status,
          String(line.scanned),
          ...SUMMARY_OUTCOMES.map((outcome) => String(line.counts[outcome])),
          line.seconds.toFixed(1),
          detailOf(line),
        ]);
      }
      const [title, ...body] = formatTable(
        header,
        rows,
        (column) => column > 2 && column < header.length - 1,
      );
      io.stdout.write(`\n${paint(1, title ?? '')}\n`);
      for (const row of body) io.stdout.write(`${row}\n`);
      for (const line of report.accountRegions) {
        const templates = SUMMARY_OUTCOMES.filter((outcome) => line.templateCounts[outcome] > 0).map(
          (outcome) => `${line.templateCounts[outcome]} ${outcome}`,
        );
        if (templates.length > 0) {
          io.stdout.write(`${line.accountId} ${line.region} creation templates: ${templates.join(', ')}\n`);
        }
        for (const [name, sink] of Object.entries(line.sinks ?? {})) {
          io.stdout.write(
            `${line.accountId} ${line.region} ${name}: ${sink.published ?? 0} published, ${sink.failed ?? 0} failed\n`,
          );
        }
      }
      const { statusCounts } = report;
      io.stdout.write(
        `\n${report.accountRegions.length} account-regions: ${statusCounts.completed} completed, ${statusCounts.failed} failed, ${statusCounts.skipped} skipped, ${statusCounts.incomplete} incomplete; ${report.scanned} repositories scanned, ${report.totals.remediated} remediated, ${report.totals['would-remediate']} would-remediate, ${report.totals.failed} failed\n`,
      );
      if (interrupted) {
        io.stdout.write(
          'interrupted: the counts of the account-regions not ended are what was decided until then\n',
        );
      }
    },
    error(message) {
      progressLine.clear();
      if (json) io.stdout.write(`${JSON.stringify({ type: 'error', message })}\n`);
      io.stderr.write(`ecr-guard: ${printable(message)}\n`);
    },
  };
}

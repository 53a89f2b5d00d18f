/**
 * What the CLI prints. On a TTY: a progress bar on stderr and a readable summary table. Off a TTY
 * or with --json: JSON lines on stdout only, no colour, no bar.
 */
import { type AuditRecord, OUTCOMES, type Outcome, type OutcomeCounts } from '../lib/audit.ts';
import type { AccountRegionSummary, OrgRunSummary } from '../lib/org-sweep.ts';
import { describeSetting } from '../lib/policy.ts';

export interface Io {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborted on Ctrl-C: the pass stops and prints its partial summary. */
  readonly signal?: AbortSignal | undefined;
}

export interface Reporter {
  record(record: AuditRecord): void;
  progress(region: string, scanned: number, counts: Readonly<OutcomeCounts>): void;
  summary(lines: readonly RegionSummary[]): void;
  /** An account-region of an organisation run has ended (TTY: one line on stderr). */
  accountRegion(line: AccountRegionSummary): void;
  /** The summary of an organisation run: every account-region of the scope, grouped by account. */
  orgSummary(summary: OrgRunSummary, options: { readonly interrupted: boolean }): void;
  error(message: string): void;
}

export interface RegionSummary {
  readonly region: string;
  /** Repository outcomes; they add up to `scanned`. */
  readonly counts: OutcomeCounts;
  /** Repository creation template outcomes (with --check-templates), kept apart from `counts`. */
  readonly templates: OutcomeCounts;
  /** Names given on the command line that do not exist in this region. */
  readonly missing: readonly string[];
  readonly scanned: number;
  readonly seconds: number;
  /** Set when Ctrl-C stopped the pass: the counts are what was decided until then. */
  readonly interrupted?: boolean;
}

const SUMMARY_OUTCOMES: readonly Outcome[] = OUTCOMES.filter(
  (outcome) => outcome !== 'ignored' && outcome !== 'exemption-staged' && outcome !== 'blocked-overwrite',
);

/** An audit record's setting, formatted as the policy formats settings in its reasons. */
function formatSetting(setting: AuditRecord['before']): string {
  if (setting === undefined) return '-';
  return describeSetting({
    mutability: setting.imageTagMutability,
    exclusionFilters: setting.exclusionFilters,
  });
}

export function createReporter(io: Io, options: { json: boolean; verbose: boolean }): Reporter {
  const json = options.json || !io.stdout.isTTY;
  const colour = !json && io.stdout.isTTY === true && io.env.NO_COLOR === undefined;
  const bar = !json && io.stderr.isTTY === true;
  const paint = (code: number, text: string) => (colour ? `\u001b[${code}m${text}\u001b[0m` : text);
  const started = Date.now();
  let barShown = false;

  const clearBar = () => {
    if (barShown) io.stderr.write('\r\u001b[2K');
    barShown = false;
  };

  return {
    record(record) {
      if (record.outcome === 'compliant' && !options.verbose) return;
      if (json) {
        io.stdout.write(`${JSON.stringify({ type: 'audit', ...record })}\n`);
        return;
      }
      clearBar();
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
        `${paint(tone, record.outcome.padEnd(15))} ${where}${record.region ?? ''} ${subject}  ${change}  (${record.reason})\n`,
      );
    },
    progress(region, scanned, counts) {
      if (!bar) return;
      const seconds = Math.max(0.001, (Date.now() - started) / 1000);
      const found = counts.remediated + counts['would-remediate'] + counts.failed;
      const fixed = counts.remediated;
      const width = 20;
      const filled = Math.min(width, Math.floor((scanned % 10_000) / (10_000 / width)));
      io.stderr.write(
        `\r\u001b[2K${region} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] scanned ${scanned.toLocaleString('en')} | non-compliant ${found} | fixed ${fixed} | ${Math.round(scanned / seconds)} repos/s`,
      );
      barShown = true;
    },
    summary(lines) {
      clearBar();
      if (json) {
        for (const line of lines) io.stdout.write(`${JSON.stringify({ type: 'summary', ...line })}\n`);
        return;
      }
      const header = ['region', 'scanned', ...SUMMARY_OUTCOMES, 'seconds'];
      const rows = lines.map((line) => [
        line.region,
        String(line.scanned),
        ...SUMMARY_OUTCOMES.map((outcome) => String(line.counts[outcome])),
        line.seconds.toFixed(1),
      ]);
      const widths = header.map((title, index) =>
        Math.max(title.length, ...rows.map((row) => row[index]?.length ?? 0)),
      );
      const format = (row: readonly string[]) =>
        row.map((cell, index) => cell.padStart(widths[index] ?? 0)).join('  ');
      io.stdout.write(`\n${paint(1, format(header))}\n`);
      for (const row of rows) io.stdout.write(`${format(row)}\n`);
      for (const line of lines) {
        const templates = SUMMARY_OUTCOMES.filter((outcome) => line.templates[outcome] > 0).map(
          (outcome) => `${line.templates[outcome]} ${outcome}`,
        );
        if (templates.length > 0) {
          io.stdout.write(`${line.region} creation templates: ${templates.join(', ')}\n`);
        }
        if (line.interrupted === true) {
          io.stdout.write(`${line.region}: interrupted; counts are what was decided until then\n`);
        }
      }
    },
    accountRegion(line) {
      if (!bar) return;
      clearBar();
      const tone = line.status === 'failed' ? 31 : line.status === 'skipped' ? 33 : 32;
      const detail =
        line.status === 'failed'
          ? `${line.errorCode ?? 'error'}: ${line.reason ?? ''}`
          : line.status === 'skipped'
            ? (line.reason ?? '')
            : `${line.scanned} scanned, ${line.counts.remediated + line.counts['would-remediate']} non-compliant`;
      io.stderr.write(`${paint(tone, line.status.padEnd(10))} ${line.accountId} ${line.region}  ${detail}\n`);
    },
    orgSummary(summary, { interrupted }) {
      clearBar();
      if (json) {
        for (const line of summary.accountRegions) {
          io.stdout.write(`${JSON.stringify({ type: 'summary', ...line })}\n`);
        }
        io.stdout.write(
          `${JSON.stringify({ type: 'total', result: interrupted ? 'interrupted' : summary.result, statusCounts: summary.statusCounts, totals: summary.totals, templateTotals: summary.templateTotals, scanned: summary.scanned })}\n`,
        );
        return;
      }
      const header = ['account', 'region', 'status', 'scanned', ...SUMMARY_OUTCOMES, 'seconds', 'detail'];
      const rows: string[][] = [];
      let previous: string | undefined;
      for (const line of summary.accountRegions) {
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
          line.status === 'failed'
            ? `${line.errorCode ?? 'error'}: ${line.reason ?? ''}`
            : line.status === 'skipped'
              ? `${line.skipReason ?? 'skipped'}: ${line.reason ?? ''}`
              : line.status === 'incomplete'
                ? 'stopped before the end'
                : '',
        ]);
      }
      const widths = header.map((title, index) =>
        Math.max(title.length, ...rows.map((row) => row[index]?.length ?? 0)),
      );
      const last = header.length - 1;
      const format = (row: readonly string[]) =>
        row
          .map((cell, index) =>
            index <= 2 || index === last
              ? cell.padEnd(widths[index] ?? 0)
              : cell.padStart(widths[index] ?? 0),
          )
          .join('  ')
          .trimEnd();
      io.stdout.write(`\n${paint(1, format(header))}\n`);
      for (const row of rows) io.stdout.write(`${format(row)}\n`);
      const { statusCounts } = summary;
      io.stdout.write(
        `\n${summary.accountRegions.length} account-regions: ${statusCounts.completed} completed, ${statusCounts.failed} failed, ${statusCounts.skipped} skipped, ${statusCounts.incomplete} incomplete; ${summary.scanned} repositories scanned, ${summary.totals.remediated} remediated, ${summary.totals['would-remediate']} would-remediate, ${summary.totals.failed} failed\n`,
      );
      if (interrupted) io.stdout.write('interrupted: only the account-regions that ended are listed\n');
    },
    error(message) {
      clearBar();
      if (json) io.stdout.write(`${JSON.stringify({ type: 'error', message })}\n`);
      io.stderr.write(`ecr-guard: ${message}\n`);
    },
  };
}

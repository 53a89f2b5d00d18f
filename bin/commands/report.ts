/**
 * `ecr-guard report`: the evidence report (lib/report.ts) as one file a person can open — HTML (one
 * self-contained page), Markdown or JSON — from a live dry run over any scope (bin/report-live.ts) or from
 * saved output (`--from`, bin/report-saved.ts). The report is evidence, not a gate: what it shows
 * (non-compliant repositories, failed or skipped account-regions) never changes its exit code; 0 means it
 * was written, 1 that its data could not be gathered (or the file not written), 2 bad usage, 130 Ctrl-C (no
 * report written). README, "For auditors: the evidence report".
 */
import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import * as z from 'zod/mini';
import { GuardError, InvalidInputError } from '../../lib/errors.ts';
import { evidenceHash, reportPolicy } from '../../lib/report.ts';
import { REPORT_FORMATS, renderEvidence } from '../../lib/report-formats.ts';
import { flagName, SETTINGS, type SettingKey } from '../../lib/settings.ts';
import { EXIT } from '../exit-codes.ts';
import {
  type CommonOptions,
  collectUsageIssues,
  configFromOptions,
  parseCommonOptions,
  settingOption,
} from '../options.ts';
import { type Io, printable } from '../output.ts';
import { gatherLive } from '../report-live.ts';
import { parseSavedSources, readSavedSources } from '../report-saved.ts';

const ReportOptionsSchema = z.object({
  format: z._default(
    z.enum(REPORT_FORMATS, {
      error: (issue) => `must be one of ${REPORT_FORMATS.join(', ')}, got '${String(issue.input)}'`,
    }),
    'html',
  ),
  output: z.optional(z.string().check(z.minLength(1, 'must name a file'))),
  from: z.optional(z.array(z.string().check(z.minLength(1, 'must name a file or an s3:// URI')))),
});

const REPORT_FLAGS: Record<keyof typeof ReportOptionsSchema.shape, string> = {
  format: '--format',
  output: '--output',
  from: '--from',
};

/** Flags that choose what a live run gathers: saved output has already been gathered. */
const LIVE_ONLY_SETTINGS: readonly SettingKey[] = [
  'organization',
  'organizationalUnits',
  'scopeAccounts',
  'excludedAccounts',
  'includeManagementAccount',
  'sweepConcurrency',
  'checkCreationTemplates',
];

const LIVE_ONLY_OPTIONS: readonly (readonly [keyof CommonOptions, string])[] = [
  ['registryId', '--registry-id'],
  ['retryFailedFrom', '--retry-failed-from'],
];

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

/** The options, every usage problem named at once, before any file is read or AWS called. */
function parseUsage(command: Command, io: Io) {
  const { issues, attempt } = collectUsageIssues();
  const raw = command.optsWithGlobals();
  const parsed = ReportOptionsSchema.safeParse({ format: raw.format, output: raw.output, from: raw.from });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0]);
      const flag = Object.entries(REPORT_FLAGS).find(([name]) => name === key)?.[1] ?? `--${key}`;
      issues.push(`${flag}: ${issue.message}`);
    }
  }
  const options = attempt(() => parseCommonOptions(raw));
  const config = options === undefined ? undefined : attempt(() => configFromOptions(options, io.env));
  // commander collects --from as strings; each is checked here whatever else is wrong.
  const from: string[] = Array.isArray(raw.from) ? raw.from.map(String) : [];
  const sources = attempt(() => parseSavedSources(from));
  if (options?.json === true) issues.push('--json: not for report; use --format json');
  if (options !== undefined && from.length > 0) {
    // Saved output says what it covers; a flag choosing a scope would be silently ignored.
    for (const key of LIVE_ONLY_SETTINGS) {
      if (key in options.settings)
        issues.push(
          `${flagName(SETTINGS[key]) ?? key}: not with --from (it chooses what a live run gathers)`,
        );
    }
    for (const [key, flag] of LIVE_ONLY_OPTIONS) {
      if (options[key] !== undefined)
        issues.push(`${flag}: not with --from (it chooses what a live run gathers)`);
    }
  }
  if (
    parsed.success &&
    parsed.data.format === 'html' &&
    parsed.data.output === undefined &&
    io.stdout.isTTY === true
  ) {
    issues.push(
      '--output: an HTML page is not for a terminal: name a file (--output evidence.html, or redirect stdout), or use --format md',
    );
  }
  if (
    !parsed.success ||
    options === undefined ||
    config === undefined ||
    sources === undefined ||
    issues.length > 0
  )
    throw new InvalidInputError(issues);
  return { report: parsed.data, options, config, sources };
}

export function registerReport(program: Command, io: Io, setExitCode: (code: number) => void): void {
  program
    .command('report')
    .description(
      'write the evidence report for auditors: the policy, an accounts × Regions matrix, exemptions, refused overwrites and remediations, with a SHA-256 of its data; from a live dry run (nothing written to AWS) or from saved output (--from)',
    )
    .option('--format <format>', `html (one self-contained page), md or json (default: html)`)
    .option(
      '--output <file>',
      'write the report to this file (default: stdout; HTML is refused on a terminal)',
    )
    .option(
      '--from <file-or-s3-uri>',
      "saved output instead of a live run, repeatable: a file of the CLI's --json lines or of the functions' audit log lines, or an organisation sweep's ResultWriter manifest.json (a file, its folder, or s3://<bucket>/results/<map run>/manifest.json)",
      collect,
    )
    .addOption(settingOption('sweepConcurrency'))
    .addOption(settingOption('checkCreationTemplates'))
    .addHelpText(
      'after',
      [
        '',
        'Exit codes (the report is evidence, not a gate: what it shows never changes them):',
        '  0  written, whatever it shows (non-compliant repositories, failed or skipped account-regions)',
        '  1  the data could not be gathered (no scope, a --from file unreadable or malformed) or the file not written',
        '  2  bad usage',
        '  130 interrupted (Ctrl-C); no report is written',
        '',
        'Examples:',
        '  ecr-guard report --output evidence.html                      # your account, your region',
        '  ecr-guard report --org --region eu-west-1 --region us-east-1 --output evidence.html',
        '  ecr-guard sweep --dry-run --json > run.jsonl; ecr-guard report --from run.jsonl --format md',
        '  ecr-guard report --from s3://guard-results/results/<map run>/manifest.json --output evidence.html',
      ].join('\n'),
    )
    .action(async (_options, command: Command) => {
      setExitCode(await reportAction(command, io));
    });
}

async function reportAction(command: Command, io: Io): Promise<number> {
  const { report, options, config, sources } = parseUsage(command, io);
  const policy = reportPolicy(config.policy);
  const started = Date.now();
  let gathered: { data: Parameters<typeof renderEvidence>[0]; notes: readonly string[] };
  if (sources.length > 0) {
    const saved = await readSavedSources(sources, { policy, options, config, env: io.env });
    gathered = {
      data: saved.data,
      notes: [
        ...saved.notes,
        'the policy shown is the one this report was made with (its flags and environment): saved output does not record the policy it was gathered under',
      ],
    };
  } else {
    const live = await gatherLive({ policy, options, config, io });
    if (live.interrupted) {
      io.stderr.write('ecr-guard: interrupted: no report written\n');
      return EXIT.interrupted;
    }
    gathered = live;
  }
  const text = renderEvidence(gathered.data, report.format, gathered.notes, {
    madeAt: new Date().toISOString(),
  });
  if (report.output === undefined) {
    io.stdout.write(text);
  } else {
    try {
      await writeFile(report.output, text);
    } catch (error) {
      throw new GuardError(
        `--output ${report.output}: cannot be written (${error instanceof Error ? error.message : String(error)})`,
        { cause: error },
      );
    }
  }
  for (const note of gathered.notes) io.stderr.write(`ecr-guard: note: ${printable(note)}\n`);
  const where = report.output === undefined ? 'stdout' : report.output;
  io.stderr.write(
    `${printable(`ecr-guard: evidence report (${report.format}) written to ${where}: ${Buffer.byteLength(text).toLocaleString('en')} bytes, ${gathered.data.accountRegions.length} account-regions, SHA-256 of its data ${evidenceHash(gathered.data)}, in ${((Date.now() - started) / 1000).toFixed(1)} s`)}\n`,
  );
  return EXIT.ok;
}

import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createReporter, formatTable, printable, progressLineOf, type ReportLine } from '../../bin/output.ts';
import { runCli } from '../../bin/program.ts';
import { type AuditRecord, emptyCounts } from '../../lib/audit.ts';
import { summarize } from '../../lib/org-sweep.ts';

/** A stream that keeps what was written, a TTY or not. */
function capture(isTTY: boolean) {
  let text = '';
  const stream = Object.assign(
    new Writable({
      write(chunk, _encoding, done) {
        text += String(chunk);
        done();
      },
    }),
    { isTTY },
  );
  return { stream, text: () => text };
}

function setup(
  tty: { stdout: boolean; stderr: boolean },
  options: { json?: boolean; verbose?: boolean; env?: Record<string, string> } = {},
) {
  const stdout = capture(tty.stdout);
  const stderr = capture(tty.stderr);
  const reporter = createReporter(
    { stdout: stdout.stream, stderr: stderr.stream, env: options.env ?? {} },
    { json: options.json ?? false, verbose: options.verbose ?? false },
  );
  return { reporter, stdout: stdout.text, stderr: stderr.text };
}

const TTY = { stdout: true, stderr: true };
const PIPE = { stdout: false, stderr: false };
const NO_COLOUR = { NO_COLOR: '1' };
const jsonLines = (text: string) =>
  text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line));

const REMEDIATED: AuditRecord = {
  outcome: 'remediated',
  repositoryName: 'team/app',
  repositoryArn: 'arn:aws:ecr:eu-west-1:123456789012:repository/team/app',
  registryId: '123456789012',
  region: 'eu-west-1',
  before: { imageTagMutability: 'MUTABLE', exclusionFilters: [] },
  after: { imageTagMutability: 'IMMUTABLE', exclusionFilters: [] },
  trigger: 'sweep',
  dryRun: false,
  reason: 'rule target: MUTABLE is not IMMUTABLE',
};
const COMPLIANT: AuditRecord = {
  ...REMEDIATED,
  outcome: 'compliant',
  before: REMEDIATED.after,
  reason: 'ok',
};
const TEMPLATE: AuditRecord = {
  ...REMEDIATED,
  outcome: 'would-remediate',
  repositoryName: undefined,
  repositoryArn: undefined,
  templatePrefix: 'team-a',
  dryRun: true,
};

const ACCOUNT = '123456789012';

function line(overrides: Partial<ReportLine> = {}): ReportLine {
  return {
    accountId: ACCOUNT,
    accountName: undefined,
    region: 'eu-west-1',
    status: 'failed',
    counts: { ...emptyCounts(), compliant: 7, remediated: 2, failed: 1 },
    templateCounts: emptyCounts(),
    missing: [],
    scanned: 10,
    errorCode: 'AccessDenied',
    reason: '1 repositories and 0 creation templates failed',
    seconds: 1.25,
    ...overrides,
  };
}

const report = (lines: readonly ReportLine[]) => ({ ...summarize(lines), accountRegions: lines });

describe('the CLI reporter on a TTY', () => {
  it('prints one readable line per finding: outcome, region, repository, before -> after, reason', () => {
    const { reporter, stdout } = setup(TTY, { env: NO_COLOUR });
    reporter.record(REMEDIATED);
    expect(stdout()).toBe(
      `${'remediated'.padEnd(15)} eu-west-1 team/app  MUTABLE -> IMMUTABLE  (rule target: MUTABLE is not IMMUTABLE)\n`,
    );
  });

  it('hides compliant repositories unless verbose', () => {
    const quiet = setup(TTY, { env: NO_COLOUR });
    quiet.reporter.record(COMPLIANT);
    expect(quiet.stdout()).toBe('');
    const verbose = setup(TTY, { env: NO_COLOUR, verbose: true });
    verbose.reporter.record(COMPLIANT);
    expect(verbose.stdout()).toContain('compliant');
  });

  it('says under the table what each audit sink did in each account-region', () => {
    const { reporter, stdout } = setup(TTY, { env: NO_COLOUR });
    const sinks = {
      auditEvents: { published: 3, failed: 0 },
      securityHub: { published: 12, failed: 2, findings: 40, pages: 1, batches: 3 },
    };
    reporter.summary(report([line({ sinks })]), { interrupted: false });
    const lines = stdout().split('\n');
    expect(lines).toContain(`${ACCOUNT} eu-west-1 auditEvents: 3 published, 0 failed`);
    expect(lines).toContain(`${ACCOUNT} eu-west-1 securityHub: 12 published, 2 failed`);
  });

  it('names a creation template by its prefix', () => {
    const { reporter, stdout } = setup(TTY, { env: NO_COLOUR });
    reporter.record(TEMPLATE);
    expect(stdout()).toContain('eu-west-1 creation template team-a  MUTABLE -> IMMUTABLE');
  });

  it('colours the outcome, unless NO_COLOR is set', () => {
    const coloured = setup(TTY);
    coloured.reporter.record({ ...REMEDIATED, outcome: 'failed' });
    expect(coloured.stdout().startsWith('\u001b[31mfailed')).toBe(true);
    const plain = setup(TTY, { env: NO_COLOUR });
    plain.reporter.record({ ...REMEDIATED, outcome: 'failed' });
    expect(plain.stdout()).not.toContain('\u001b[');
  });

  it('draws progress on stderr and clears it before the next line', () => {
    const { reporter, stdout, stderr } = setup(TTY, { env: NO_COLOUR });
    reporter.progress('eu-west-1', 1500, { ...emptyCounts(), remediated: 3, failed: 1 });
    expect(stderr()).toMatch(
      /eu-west-1 \[#{3}\.{17}\] scanned 1,500 \| non-compliant 4 \| fixed 3 \| \d+ repos\/s$/,
    );
    reporter.record(REMEDIATED);
    expect(stderr().endsWith('\r\u001b[2K')).toBe(true);
    expect(stdout()).not.toContain('scanned');
  });

  it('summarises each account-region as an aligned table row (no ignored column), then template outcomes and totals', () => {
    const { reporter, stdout } = setup(TTY, { env: NO_COLOUR });
    reporter.summary(
      report([
        line(),
        line({
          region: 'us-east-1',
          status: 'incomplete',
          counts: emptyCounts(),
          scanned: 0,
          seconds: 0,
          templateCounts: { ...emptyCounts(), remediated: 1, failed: 2 },
          interrupted: true,
          missing: ['payments/apl'],
        }),
      ]),
      { interrupted: true },
    );
    const lines = stdout().split('\n');
    expect(lines[1]?.trim().split(/\s+/)).toEqual([
      'account',
      'region',
      'status',
      'scanned',
      'compliant',
      'remediated',
      'would-remediate',
      'exempt',
      'gone',
      'failed',
      'seconds',
      'detail',
    ]);
    expect(lines[2]?.trim().split(/\s+/).slice(0, 11)).toEqual([
      ACCOUNT,
      'eu-west-1',
      'failed',
      '10',
      '7',
      '2',
      '0',
      '0',
      '0',
      '1',
      '1.3',
    ]);
    expect(lines[2]).toContain('AccessDenied: 1 repositories and 0 creation templates failed');
    expect(lines[3]?.trim().split(/\s+/)).toEqual([
      'us-east-1',
      'incomplete',
      ...Array.from({ length: 7 }, () => '0'),
      '0.0',
      'interrupted;',
      'missing:',
      'payments/apl',
    ]);
    // Every column starts where its title does.
    expect(lines[2]?.indexOf('eu-west-1')).toBe(lines[1]?.indexOf('region'));
    expect(lines[3]?.indexOf('us-east-1')).toBe(lines[1]?.indexOf('region'));
    expect(lines).toContain(`${ACCOUNT} us-east-1 creation templates: 1 remediated, 2 failed`);
    expect(lines).toContain(
      '2 account-regions: 0 completed, 1 failed, 0 skipped, 1 incomplete; 10 repositories scanned, 2 remediated, 0 would-remediate, 1 failed',
    );
    expect(lines.at(-2)).toMatch(/^interrupted: /);
  });

  it('escapes control characters of names and reasons: a tag cannot forge a line or move the cursor', () => {
    const { reporter, stdout } = setup(TTY, { env: NO_COLOUR });
    reporter.record({
      ...REMEDIATED,
      repositoryName: 'team/app\u001b[2K',
      reason: "exempt: tag ecr-guard:exempt='x\nremediated       eu-west-1 team/forged'",
    });
    expect(stdout().split('\n')).toHaveLength(2);
    expect(stdout()).not.toContain('\u001b');
    expect(stdout()).toContain('team/app\\x1b[2K');
    expect(stdout()).toContain("'x\\nremediated");
  });

  it('clears the progress line before the CLI writes the error that ends it', async () => {
    const stdout = capture(true);
    const stderr = capture(true);
    progressLineOf(stderr.stream).show('eu-west-1 [#...] scanned 10');
    const code = await runCli(['sweep', '--concurrency', 'lots', '--region', 'eu-west-1'], {
      stdout: stdout.stream,
      stderr: stderr.stream,
      env: {},
    });
    expect(code).toBe(2);
    expect(stderr.text()).toContain('scanned 10\r\u001b[2Kecr-guard: --concurrency: must be an integer');
  });

  it('clears the progress line before an error', () => {
    const { reporter, stderr } = setup(TTY, { env: NO_COLOUR });
    reporter.progress('eu-west-1', 10, emptyCounts());
    reporter.error('access denied');
    expect(stderr().endsWith('repos/s\r\u001b[2Kecr-guard: access denied\n')).toBe(true);
  });

  it('writes errors to stderr only', () => {
    const { reporter, stdout, stderr } = setup(TTY, { env: NO_COLOUR });
    reporter.error('region eu-west-9 is not enabled');
    expect(stderr()).toBe('ecr-guard: region eu-west-9 is not enabled\n');
    expect(stdout()).toBe('');
  });
});

describe('the CLI reporter off a TTY, or with --json', () => {
  it.each([
    ['piped', PIPE, false],
    ['--json on a TTY', TTY, true],
  ])('%s: writes JSON lines on stdout, no colour and no progress bar', (_case, tty, json) => {
    const { reporter, stdout, stderr } = setup(tty, { json });
    reporter.progress('eu-west-1', 10, emptyCounts());
    reporter.record(REMEDIATED);
    reporter.record(COMPLIANT);
    reporter.summary(report([line()]), { interrupted: false });
    expect(stderr()).toBe('');
    expect(stdout()).not.toContain('\u001b[');
    expect(jsonLines(stdout())).toEqual([
      { type: 'audit', ...REMEDIATED },
      { type: 'summary', ...line() },
      {
        type: 'total',
        result: 'failed',
        statusCounts: { completed: 0, failed: 1, skipped: 0, incomplete: 0 },
        totals: line().counts,
        templateTotals: emptyCounts(),
        scanned: 10,
      },
    ]);
  });

  it('writes compliant records too when verbose', () => {
    const { reporter, stdout } = setup(PIPE, { verbose: true });
    reporter.record(COMPLIANT);
    expect(jsonLines(stdout())).toEqual([{ type: 'audit', ...COMPLIANT }]);
  });

  it('reports an error as a JSON line on stdout and as text on stderr', () => {
    const { reporter, stdout, stderr } = setup(PIPE);
    reporter.error('no credentials');
    expect(jsonLines(stdout())).toEqual([{ type: 'error', message: 'no credentials' }]);
    expect(stderr()).toBe('ecr-guard: no credentials\n');
  });
});

describe('printable text', () => {
  it.each([
    ['plain', 'payments/api', 'payments/api'],
    ['a newline', 'a\nb', 'a\\nb'],
    ['an escape sequence', '\u001b[31mred', '\\x1b[31mred'],
    ['a C1 control', 'a\u009bb', 'a\\x9bb'],
    ['a bidirectional override', 'abc\u202edef', 'abc\\u202edef'],
    ['a zero-width space', 'a\u200bb', 'a\\u200bb'],
    ['letters of any script', 'café 東京', 'café 東京'],
  ])('%s', (_case, text, shown) => {
    expect(printable(text)).toBe(shown);
  });
});

describe('formatTable', () => {
  it('pads every column to its widest cell, after escaping, numbers on the right', () => {
    const lines = formatTable(
      ['verdict', 'repository', 'n'],
      [
        ['would-break', 'a\tb', '1'],
        ['safe-to-flip', 'x', '10'],
      ],
      (column) => column === 1,
    );
    expect(lines).toEqual([
      'verdict       repository  n',
      'would-break         a\\tb  1',
      'safe-to-flip           x  10',
    ]);
  });
});

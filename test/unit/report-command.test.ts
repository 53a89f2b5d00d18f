/**
 * `ecr-guard report` in-process (bin/commands/report.ts, bin/report-saved.ts, bin/report-live.ts): how a live
 * run names its scope, which `--from` values are usage errors, and a report from saved lines written to stdout
 * with its summary on stderr. The built CLI against the emulator is test/e2e/report.e2e.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeScope } from '../../bin/report-live.ts';
import { parseSavedSources } from '../../bin/report-saved.ts';
import { InvalidInputError } from '../../lib/errors.ts';
import { runCliInProcess } from '../helpers/cli-in-process.ts';
import { testConfig } from '../helpers/runtime.ts';

const cli = runCliInProcess;

const ORGANIZATION = testConfig().organization;
const lines = (accountId: string, regions: readonly string[]) =>
  regions.map((region) => ({ accountId, region }));

describe('the scope a live report names', () => {
  it.each([
    [
      {},
      lines('111111111111', ['us-east-1', 'eu-west-1']),
      undefined,
      "the caller's own account 111111111111 × eu-west-1, us-east-1; dry run, nothing written",
    ],
    [
      {},
      lines('111111111111', ['eu-west-1']),
      '222222222222',
      "the caller's own account 222222222222 × eu-west-1; dry run, nothing written",
    ],
    [
      { enabled: true },
      lines('111111111111', ['eu-west-1']),
      undefined,
      'the organisation × eu-west-1; dry run, nothing written',
    ],
    [
      {
        enabled: true,
        organizationalUnits: ['ou-ab12-cdefgh12'],
        excludedAccounts: ['444444444444'],
        includeManagementAccount: true,
      },
      lines('111111111111', ['eu-west-1']),
      undefined,
      "the organisation's accounts under ou-ab12-cdefgh12; the management account included; excluding 444444444444 × eu-west-1; dry run, nothing written",
    ],
    [
      { accounts: ['222222222222', '333333333333'] },
      [],
      undefined,
      'accounts 222222222222, 333333333333 × no Region; dry run, nothing written',
    ],
  ])('%j over %j (registry %s) is "%s"', (organization, summaries, registryId, text) => {
    expect(describeScope({ ...ORGANIZATION, ...organization }, summaries, registryId)).toBe(text);
  });
});

describe('--from', () => {
  it('takes files and ResultWriter manifests in S3, and names every S3 URI that is no manifest', () => {
    expect(parseSavedSources(['run.jsonl', 's3://guard-results/results/run-1/manifest.json'])).toEqual([
      { kind: 'file', path: 'run.jsonl' },
      {
        kind: 's3',
        uri: 's3://guard-results/results/run-1/manifest.json',
        bucket: 'guard-results',
        key: 'results/run-1/manifest.json',
      },
    ]);
    const bad = () =>
      parseSavedSources(['s3://guard-results/scope/items.json', 's3://Bad_Bucket/results/x/manifest.json']);
    expect(bad).toThrow(InvalidInputError);
    expect(bad).toThrow(
      /--from: must be the ResultWriter manifest.*got 's3:\/\/guard-results\/scope\/items\.json'/,
    );
  });
});

describe('ecr-guard report from saved lines, in-process', () => {
  let folder: string;
  let file: string;
  beforeAll(() => {
    folder = mkdtempSync(path.join(tmpdir(), 'ecr-guard-report-unit-'));
    file = path.join(folder, 'run.jsonl');
    const counts = { compliant: 1, remediated: 0, 'would-remediate': 1, exempt: 0, gone: 0, failed: 0 };
    writeFileSync(
      file,
      [
        JSON.stringify({
          type: 'audit',
          outcome: 'would-remediate',
          repositoryName: 'app',
          accountId: '111111111111',
          region: 'eu-west-1',
          trigger: 'backfill',
          dryRun: true,
          reason: 'dry-run: rule target',
        }),
        JSON.stringify({
          type: 'summary',
          accountId: '111111111111',
          region: 'eu-west-1',
          status: 'completed',
          counts,
          scanned: 2,
        }),
      ].join('\n'),
    );
  });
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('writes Markdown to stdout and says on stderr what it wrote, exit 0 although the data is non-compliant', async () => {
    const { code, stdout, stderr } = await cli(['report', '--from', file, '--format', 'md']);
    expect(stdout).toContain('| 111111111111 | ⚠ non-compliant: 1 compliant, 1 would-remediate |');
    expect(stdout).toContain('unknown: the source does not record when its data was gathered');
    expect(stderr).toMatch(
      /evidence report \(md\) written to stdout: [\d,]+ bytes, 1 account-regions, SHA-256 of its data [0-9a-f]{64}/,
    );
    expect(code).toBe(0);
  });

  it('refuses HTML to a terminal, but writes it to a pipe', async () => {
    const terminal = await cli(['report', '--from', file], { tty: true });
    expect(terminal.stderr).toContain('--output: an HTML page is not for a terminal');
    expect(terminal.stdout).toBe('');
    expect(terminal.code).toBe(2);
    const pipe = await cli(['report', '--from', file]);
    expect(pipe.stdout).toMatch(/^<!doctype html>/);
    expect(pipe.code).toBe(0);
  });

  it('fails with 1, naming the line, when a saved file is not what the CLI writes', async () => {
    const broken = path.join(folder, 'broken.jsonl');
    writeFileSync(broken, '{"type":"audit"');
    const { code, stderr } = await cli(['report', '--from', broken, '--format', 'json']);
    expect(stderr).toContain(`--from ${broken}: ${broken}:1: not JSON`);
    expect(code).toBe(1);
  });
});

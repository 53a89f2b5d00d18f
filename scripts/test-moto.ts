/**
 * `npm run test:moto`: the end-to-end suite (test/e2e) against a second, independent ECR
 * implementation, moto's server (https://docs.getmoto.org/en/latest/docs/server_mode.html). Starts
 * moto's server on a free loopback port (scripts/moto-server.ts), runs `vitest run test/e2e` with
 * E2E_ECR_ENDPOINT pointing at it (the organisation files start a moto of their own: test/e2e/org-backend.ts),
 * and always stops moto: on success, failure, Ctrl-C or SIGTERM. Extra arguments go to vitest
 * (`npm run test:moto -- -t exclusion`). A full run records what ran where (`moto.json`, per file) for
 * docs/reliability.md.
 *
 * Then the organisation proof (scripts/moto-org.ts) on a second, fresh moto server started without
 * MOTO_ACCOUNT_ID: an organisation swept through AWS Organizations, STS AssumeRole per member account and
 * ECR per account-region, with moto's IAM checks on. `--organization-only` runs only that part.
 *
 * Needs Python 3 with moto 5 and its server extras (`pip install 'moto[server]>=5'`); `npm test`
 * never does. PYTHON overrides the interpreter.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type MotoOrgResult, runMotoOrgProof } from './moto-org.ts';
import { type MotoServer, motoPython, motoVersion, startMotoServer, stopEveryMoto } from './moto-server.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const python = motoPython();
/** Where the summary for scripts/reliability-report.ts goes (as test/reliability/harness/results.ts). */
const resultsDir = process.env.RELIABILITY_RESULTS_DIR ?? path.join(tmpdir(), 'ecr-guard-reliability');

/** One end-to-end file in the run: its tests, and those moto skipped with the reason their name gives. */
export interface MotoFileResult {
  readonly file: string;
  readonly tests: number;
  readonly passed: number;
  readonly failed: number;
  readonly skipped: readonly { readonly name: string; readonly reason: string | undefined }[];
}

interface JsonReport {
  readonly numTotalTests?: number;
  readonly numPassedTests?: number;
  readonly numFailedTests?: number;
  readonly numPendingTests?: number;
  readonly success?: boolean;
  readonly testResults?: readonly {
    readonly name: string;
    readonly assertionResults?: readonly { readonly title: string; readonly status: string }[];
  }[];
}

/** A skipped test's name and the reason it carries: `name (skipped: reason)` (test/e2e/backend.ts). */
function skipOf(title: string): { name: string; reason: string | undefined } {
  const match = /^(.*) \(skipped: (.*)\)$/s.exec(title);
  return match === null ? { name: title, reason: undefined } : { name: match[1] ?? title, reason: match[2] };
}

/** Per file, in path order: what ran against moto and what it skipped, with why. */
function fileResults(report: JsonReport): MotoFileResult[] {
  return (report.testResults ?? [])
    .map((file) => {
      const tests = file.assertionResults ?? [];
      return {
        file: path.relative(root, file.name).split(path.sep).join('/'),
        tests: tests.length,
        passed: tests.filter((test) => test.status === 'passed').length,
        failed: tests.filter((test) => test.status === 'failed').length,
        skipped: tests
          .filter((test) => test.status === 'pending' || test.status === 'skipped')
          .map((test) => skipOf(test.title)),
      };
    })
    .sort((a, b) => a.file.localeCompare(b.file));
}

/** Keeps vitest's JSON report of this run as `moto.json` for docs/reliability.md. */
function recordRun(jsonReport: string, motoVersion: string, organization: MotoOrgResult | undefined): void {
  if (!existsSync(jsonReport)) return;
  const report = JSON.parse(readFileSync(jsonReport, 'utf8')) as JsonReport;
  rmSync(jsonReport, { force: true });
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(
    path.join(resultsDir, 'moto.json'),
    `${JSON.stringify(
      {
        motoVersion,
        recordedAt: new Date().toISOString(),
        numTotalTests: report.numTotalTests,
        numPassedTests: report.numPassedTests,
        numFailedTests: report.numFailedTests,
        numPendingTests: report.numPendingTests,
        success: report.success,
        files: fileResults(report),
        ...(organization === undefined ? {} : { organization: summarizeOrganization(organization) }),
      },
      null,
      2,
    )}\n`,
  );
}

const startMoto = (): Promise<MotoServer> => startMotoServer({ cwd: root, python });

/** What docs/reliability.md shows of the organisation proof. */
function summarizeOrganization(result: MotoOrgResult) {
  return {
    ok: result.ok,
    accounts: result.accounts,
    regions: result.regions,
    repositories: result.repositories,
    mutable: result.mutable,
    runResult: result.runResult,
    statusCounts: result.statusCounts,
    failedErrorCodes: [...new Set(result.failedErrorCodes)],
    secondRunRemediated: result.secondRunRemediated,
    problems: result.problems,
  };
}

async function runOrganizationProof(): Promise<MotoOrgResult | undefined> {
  const moto = await startMoto();
  try {
    console.log(`test:moto: organisation proof on a fresh moto (${moto.url}), no fixed account`);
    const result = await runMotoOrgProof(moto.url);
    const widths = [14, 12, 9, 8, 9, 10, 9, 13];
    const line = (cells: readonly (string | number | undefined)[]) =>
      cells.map((cell, index) => String(cell ?? '').padEnd(widths[index] ?? 0)).join(' ');
    console.log(
      line(['account', 'id', 'region', 'status', 'scanned', 'remediated', 'compliant', 'error code']),
    );
    for (const row of result.rows) {
      console.log(
        `${line([row.account, row.accountId, row.region, row.status, row.scanned, row.remediated, row.compliant, row.errorCode])} ${row.ok ? 'ok' : `FAIL (expected ${row.expected})`}`,
      );
    }
    console.log(
      `organisation run: ${result.runResult}; ${result.repositories} repositories (${result.mutable} MUTABLE) in ${result.accounts} accounts × ${result.regions} regions; second run remediated ${result.secondRunRemediated}`,
    );
    for (const problem of result.problems) console.error(`test:moto: organisation proof: ${problem}`);
    return result;
  } catch (error) {
    console.error(
      `test:moto: organisation proof failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n${moto.log().slice(-3000)}`,
    );
    return undefined;
  } finally {
    await moto.stop();
  }
}

async function main(): Promise<number> {
  const version = motoVersion(python);
  if (version === undefined) {
    console.error(
      `test:moto: ${python} with moto is not available (pip install 'moto[server]>=5'); nothing was run.`,
    );
    return 1;
  }
  const args = process.argv.slice(2);
  const organizationOnly = args.includes('--organization-only');
  const vitestArgs = args.filter((arg) => arg !== '--organization-only');

  let vitest: ChildProcess | undefined;
  let stopping = false;
  const stopAll = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    vitest?.kill(signal);
    await stopEveryMoto();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', () => void stopAll('SIGINT'));
  process.once('SIGTERM', () => void stopAll('SIGTERM'));

  if (organizationOnly) {
    const organization = await runOrganizationProof();
    return organization?.ok === true ? 0 : 1;
  }

  let moto: MotoServer | undefined;
  try {
    moto = await startMoto();
    const url = moto.url;
    console.log(`test:moto: moto ${version} on ${url}; running test/e2e against it`);
    const vitestEntry = path.join(root, 'node_modules', 'vitest', 'vitest.mjs');
    const jsonReport = path.join(tmpdir(), `ecr-guard-moto-${process.pid}.json`);
    const reporterArgs = [
      'run',
      'test/e2e',
      // One file at a time: the files share this moto and its default account (each file's reset
      // empties that account's registries).
      '--no-file-parallelism',
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${jsonReport}`,
    ];
    const child = spawn(process.execPath, [vitestEntry, ...reporterArgs, ...vitestArgs], {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, E2E_ECR_ENDPOINT: url },
    });
    vitest = child;
    const code = await new Promise<number>((resolve) => {
      child.once('exit', (exitCode, signal) => resolve(exitCode ?? (signal === null ? 1 : 128)));
    });
    await moto.stop();
    if (code !== 0) console.error(`test:moto: the end-to-end suite failed against moto (exit ${code})`);
    const organization = stopping ? undefined : await runOrganizationProof();
    if (vitestArgs.length === 0 && !stopping) recordRun(jsonReport, version, organization);
    else rmSync(jsonReport, { force: true });
    if (organization?.ok !== true) console.error('test:moto: the organisation proof failed against moto');
    return code !== 0 ? code : organization?.ok === true ? 0 : 1;
  } catch (error) {
    console.error(`test:moto: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    if (moto !== undefined) await moto.stop();
  }
}

process.exitCode = await main();

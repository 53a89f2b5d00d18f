/** The `ecr-guard` command line: commander for parsing, zod for validating, no process.exit inside. */
import { Command, CommanderError } from 'commander';
import { GuardError, InvalidInputError } from '../lib/errors.ts';
import { registerCheck } from './commands/check.ts';
import { registerPlan } from './commands/plan.ts';
import { registerRemediate } from './commands/remediate.ts';
import { registerReport } from './commands/report.ts';
import { registerSweep } from './commands/sweep.ts';
import { EXIT } from './exit-codes.ts';
import { withSettingOptions } from './options.ts';
import { type Io, printable, progressLineOf } from './output.ts';

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

export function buildProgram(io: Io, setExitCode: (code: number) => void): Command {
  const program = new Command('ecr-guard')
    .description(
      'Keep Amazon ECR repositories at IMMUTABLE image tags: find the ones that are not and set them, ' +
        'with an audit line for each. Uses the standard AWS credential chain (environment, --profile, SSO, ' +
        'instance role) and honours AWS_ENDPOINT_URL_ECR.',
    )
    .addHelpText(
      'after',
      [
        '',
        'Exit codes:',
        '  0  every repository compliant (or fixed)',
        '  1  a failure: a repository, an account-region, a call that got no answer (see the summary)',
        '  2  bad usage',
        '  3  non-compliant repositories found by --dry-run or check',
        '  4  a repository or an account named on the command line does not exist (typo, wrong region,',
        '     registry or organisation)',
        '  130 interrupted (Ctrl-C); the partial summary is printed',
        '',
        'Examples:',
        '  ecr-guard check payments/api            # gate a CI job on one repository',
        '  ecr-guard sweep --dry-run --region eu-west-1 --region us-east-1',
        '  ecr-guard sweep --exempt-repository "sandbox/**" --json > audit.jsonl',
      ].join('\n'),
    )
    .version('0.1.0')
    .option(
      '--region <region>',
      'region to act on; repeat for several (default: your configured region)',
      collect,
    )
    .option(
      '--profile <name>',
      'AWS named profile (region precedence: --region, AWS_REGION, AWS_DEFAULT_REGION, profile)',
    )
    .option(
      '--registry-id <account>',
      'registry (account id) to act on with your own credentials; default: your own account (not with --org or --account)',
    )
    .option('--endpoint-url <url>', 'send every AWS call to this endpoint (as the AWS CLI does)')
    .option(
      '--retry-failed-from <s3-uri>',
      'with --org: act only on the account-regions that failed in an earlier organisation sweep (its ResultWriter manifest, s3://<bucket>/results/<map run>/manifest.json)',
    )
    .option('--json', 'JSON lines on stdout (the default when stdout is not a terminal)');
  withSettingOptions(program, 'global');
  program
    .showHelpAfterError('(run ecr-guard --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });
  registerSweep(program, io, setExitCode);
  registerCheck(program, io, setExitCode);
  registerRemediate(program, io, setExitCode);
  registerPlan(program, io, setExitCode);
  registerReport(program, io, setExitCode);
  return program;
}

/** Runs the CLI and returns its exit code; only the entry point calls process.exit. */
export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    // A progress line still drawn would run into the message.
    progressLineOf(io.stderr).clear();
    if (error instanceof InvalidInputError) {
      io.stderr.write(`ecr-guard: ${error.issues.map(printable).join('\n  ')}\n`);
      return EXIT.usage;
    }
    const message = error instanceof GuardError || error instanceof Error ? error.message : String(error);
    io.stderr.write(`ecr-guard: ${printable(message)}\n`);
    return EXIT.failures;
  }
}

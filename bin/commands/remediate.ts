import type { Command } from 'commander';
import { configFromOptions, parseCommonOptions } from '../options.ts';
import { createReporter, type Io } from '../output.ts';
import { runPass } from './run-pass.ts';

export function registerRemediate(program: Command, io: Io, setExitCode: (code: number) => void): void {
  program
    .command('remediate')
    .description('set the named repositories to the target when they are not compliant')
    .argument('<repository...>', 'repository names')
    .option('--dry-run', 'report what would change, change nothing (exit 3 when something would)')
    .addHelpText('after', '\nExample:\n  ecr-guard remediate payments/api --region eu-west-1 --dry-run')
    .action(async (names: string[], _options, command: Command) => {
      const options = parseCommonOptions(command.optsWithGlobals());
      const config = configFromOptions(options, io.env);
      const reporter = createReporter(io, options);
      setExitCode(
        await runPass(
          { trigger: 'backfill', dryRun: options.dryRun, repositoryNames: names },
          options,
          config,
          reporter,
          io.env,
        ),
      );
    });
}

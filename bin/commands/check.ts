import type { Command } from 'commander';
import { configFromOptions, parseCommonOptions } from '../options.ts';
import { createReporter, type Io } from '../output.ts';
import { runPass } from './run-pass.ts';

export function registerCheck(program: Command, io: Io, setExitCode: (code: number) => void): void {
  program
    .command('check')
    .description('check the named repositories without changing anything (exit 3 when one is non-compliant)')
    .argument('<repository...>', 'repository names')
    .option('--dry-run', 'accepted for symmetry; check never writes')
    .addHelpText(
      'after',
      '\nExample (gate a CI job):\n  ecr-guard check payments/api payments/ledger || exit 1',
    )
    .action(async (names: string[], _options, command: Command) => {
      const options = parseCommonOptions(command.optsWithGlobals());
      const config = configFromOptions(options, io.env);
      const reporter = createReporter(io, options);
      setExitCode(
        await runPass(
          { trigger: 'backfill', dryRun: true, repositoryNames: names },
          options,
          config,
          reporter,
          io.env,
        ),
      );
    });
}

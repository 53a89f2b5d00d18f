import type { Command } from 'commander';
import { withSettingOptions } from '../options.ts';
import type { Io } from '../output.ts';
import { sweepAction } from './sweep-action.ts';

export function registerSweep(program: Command, io: Io, setExitCode: (code: number) => void): void {
  withSettingOptions(
    program
      .command('sweep')
      .description('check every repository in the registry and set the non-compliant ones to the target'),
    'repositories',
    'sweep',
  )
    .addHelpText(
      'after',
      '\nExamples:\n  ecr-guard sweep --dry-run --region eu-west-1 --region us-east-1\n  ecr-guard sweep --json | jq \'select(.outcome == "remediated")\'',
    )
    .action(async (_args, command: Command) =>
      sweepAction(io, setExitCode, (options) => ({
        trigger: 'backfill',
        dryRun: options.dryRun,
        repositoryNames: undefined,
      }))(command),
    );
}

import type { Command } from 'commander';
import { withSettingOptions } from '../options.ts';
import type { Io } from '../output.ts';
import { sweepAction } from './sweep-action.ts';

export function registerRemediate(program: Command, io: Io, setExitCode: (code: number) => void): void {
  const action = sweepAction(io, setExitCode, (options, repositoryNames) => ({
    trigger: 'backfill',
    dryRun: options.dryRun,
    repositoryNames,
  }));
  withSettingOptions(
    program
      .command('remediate')
      .description('set the named repositories to the target when they are not compliant')
      .argument('<repository...>', 'repository names'),
    'repositories',
  )
    .addHelpText('after', '\nExample:\n  ecr-guard remediate payments/api --region eu-west-1 --dry-run')
    .action(async (names: string[], _options, command: Command) => action(command, names));
}

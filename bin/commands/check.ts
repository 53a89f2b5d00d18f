import type { Command } from 'commander';
import { withSettingOptions } from '../options.ts';
import type { Io } from '../output.ts';
import { sweepAction } from './sweep-action.ts';

export function registerCheck(program: Command, io: Io, setExitCode: (code: number) => void): void {
  // check never writes, whatever the flags say.
  const action = sweepAction(io, setExitCode, (_options, repositoryNames) => ({
    trigger: 'backfill',
    dryRun: true,
    repositoryNames,
  }));
  withSettingOptions(
    program
      .command('check')
      .description(
        'check the named repositories without changing anything, whatever the flags say (exit 3 when one is non-compliant)',
      )
      .argument('<repository...>', 'repository names'),
    'repositories',
  )
    .addHelpText(
      'after',
      '\nExample (gate a CI job):\n  ecr-guard check payments/api payments/ledger || exit 1',
    )
    .action(async (names: string[], _options, command: Command) => action(command, names));
}

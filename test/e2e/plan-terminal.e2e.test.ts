/**
 * `ecr-guard plan` as a terminal shows it (the built CLI in a pseudo-terminal): names and tags read from
 * AWS are escaped, so a tag cannot forge a row of the table or move the cursor, and the columns align.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emulatorAdmin, type RunningEmulator, startEmulator } from '../../emulator/index.ts';
import { hasTerminal, runBuiltCliInTerminal } from '../helpers/cli.ts';
import { external } from './backend.ts';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const FORGED_ROW = `safe-to-flip  ${ACCOUNT}  ${REGION}  shop/forged`;
/** A tag that, printed raw, ends its row and writes a row of its own in red. */
const HOSTILE_TAG = `v1\n${FORGED_ROW}\u001b[31m`;
const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();
/** Why the test cannot run here, if it cannot: it plans from pushes seeded in the emulator's trail. */
const skipReason = external
  ? "needs the emulator's trail and LookupEvents"
  : hasTerminal
    ? undefined
    : 'util-linux script is not installed';

/** The lines the terminal keeps: each line as it stands after the progress line was cleared from it. */
function screenLines(screen: string): string[] {
  return screen
    .split('\r\n')
    .map((line) => line.slice(line.lastIndexOf('\u001b[2K') + 1).replace(/^\[2K/, ''));
}

describe('the plan table in a terminal', () => {
  let emulator: RunningEmulator;

  beforeAll(async () => {
    emulator = await startEmulator({ account: ACCOUNT });
    await emulatorAdmin(emulator.url).seed({
      region: REGION,
      repositories: [
        { name: 'shop/web', imageTagMutability: 'MUTABLE' },
        { name: 'shop/a-much-longer-repository-name', imageTagMutability: 'MUTABLE' },
      ],
      pushes: [
        { repositoryName: 'shop/web', tag: HOSTILE_TAG, at: daysAgo(5) },
        { repositoryName: 'shop/web', tag: HOSTILE_TAG, at: daysAgo(3) },
        { repositoryName: 'shop/a-much-longer-repository-name', tag: 'latest', at: daysAgo(4) },
      ],
    });
  });
  afterAll(async () => emulator.stop());

  it.skipIf(skipReason !== undefined)(
    `escapes a hostile tag and aligns the columns${skipReason === undefined ? '' : ` (skipped: ${skipReason})`}`,
    async () => {
      const { code, screen } = await runBuiltCliInTerminal(['plan', '--region', REGION], {
        AWS_ENDPOINT_URL: emulator.url,
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
      });

      expect(code).toBe(3);
      expect(screen).not.toContain('\u001b[31m');
      const lines = screenLines(screen);
      expect(lines.filter((line) => line.startsWith(FORGED_ROW))).toEqual([]);
      const header = lines.findIndex((line) => line.startsWith('verdict') && line.includes('moved tags'));
      expect(header).toBeGreaterThanOrEqual(0);
      const rows = lines.slice(header + 1, header + 3);
      expect(rows.find((row) => row.includes('shop/web'))).toContain(`v1\\n${FORGED_ROW}\\x1b[31m (1x)`);
      for (const column of ['account', 'region', 'repository', 'setting', 'moved tags']) {
        const start = lines[header]?.indexOf(column);
        for (const row of rows) expect(row[(start ?? 0) - 1], `${column} in ${row}`).toBe(' ');
        for (const row of rows) expect(row[start ?? 0], `${column} in ${row}`).not.toBe(' ');
      }
    },
    60_000,
  );
});

/** The README's configuration table is generated from the settings table and kept equal to it. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { settingRows } from '../../lib/settings.ts';
import { renderSettingsTable, withSettingsTable } from '../../lib/settings-docs.ts';
import { projectRoot } from '../helpers/fixtures.ts';

describe('the README configuration table', () => {
  const readme = readFileSync(path.join(projectRoot, 'README.md'), 'utf8');

  it('matches lib/settings.ts (run npm run docs after changing a setting)', () => {
    expect(withSettingsTable(readme)).toBe(readme);
  });

  it('has one line per setting, naming its variable or keys', () => {
    const table = renderSettingsTable();
    expect(table.split('\n')).toHaveLength(settingRows().length + 2);
    for (const row of settingRows()) expect(table).toContain(row.env ?? row.key);
  });
});

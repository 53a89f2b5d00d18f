/** `npm run docs`: regenerates the README's configuration table from lib/settings.ts. */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { withSettingsTable } from '../lib/settings-docs.ts';

const readmePath = path.join(import.meta.dirname, '..', 'README.md');
const before = readFileSync(readmePath, 'utf8');
const after = withSettingsTable(before);
if (after === before) {
  console.log('README.md configuration table is up to date');
} else {
  writeFileSync(readmePath, after);
  console.log('README.md configuration table regenerated from lib/settings.ts');
}

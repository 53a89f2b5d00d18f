import { readdirSync } from 'node:fs';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

/**
 * One vitest project per folder of test/ that holds tests (unit, emulator, e2e, infra, bundle,
 * reliability): `npm test` runs them all in parallel; `npx vitest run --project unit` (or
 * `npm run test:unit`) runs one. Derived from the folders, so a new folder is never left out.
 */
const testDir = path.join(import.meta.dirname, 'test');
const projects = readdirSync(testDir, { withFileTypes: true, recursive: true })
  .filter((entry) => entry.isFile() && entry.name.endsWith('.test.ts'))
  .map((entry) => path.relative(testDir, entry.parentPath).split(path.sep)[0] ?? '')
  .filter((folder, index, all) => folder !== '' && all.indexOf(folder) === index)
  .sort();

/** Projects that run the built bundles: they rebuild dist/ first when it is older than its sources. */
const RUN_BUNDLES = new Set(['bundle', 'e2e', 'reliability']);

export default defineConfig({
  test: {
    setupFiles: ['test/helpers/setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // No test may reach AWS: every SDK client is mocked or pointed at 127.0.0.1.
    env: {
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: 'eu-west-1',
      AWS_EC2_METADATA_DISABLED: 'true',
      POWERTOOLS_METRICS_DISABLED: 'true',
    },
    projects: projects.map((name) => ({
      extends: true,
      test: {
        name,
        include: [`test/${name}/**/*.test.ts`],
        ...(RUN_BUNDLES.has(name) ? { globalSetup: ['test/helpers/fresh-bundles.ts'] } : {}),
      },
    })),
  },
});

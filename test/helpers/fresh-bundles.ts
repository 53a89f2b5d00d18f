/**
 * Vitest `globalSetup` of the projects that run the built bundles (bundle, e2e, reliability): when a
 * bundle under dist/ is missing or older than anything it is built from, it runs `node scripts/build.ts`
 * before any test, so `npx vitest run test/e2e` after a source edit tests that edit, not an old bundle.
 * When every bundle is newer than its sources (`npm test` and the `test:*` scripts have just built),
 * it builds nothing.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { functionNames } from '../../scripts/build.ts';
import { projectRoot } from './fixtures.ts';

/** What the bundles are built from: the code, the build script, and the installed dependencies. */
const SOURCES = [
  'functions',
  'lib',
  'bin',
  'scripts/build.ts',
  'scripts/lambda-credentials.ts',
  'package.json',
  'tsconfig.json',
  // npm rewrites this file on every install, so a dependency change makes the bundles stale too.
  'node_modules/.package-lock.json',
];

/**
 * The newest modification time under `entry` (files and folders: a deleted or renamed file changes
 * its folder's time), and the path that has it.
 */
function newestUnder(entry: string): { time: number; file: string } {
  if (!existsSync(entry)) return { time: 0, file: entry };
  const stats = statSync(entry);
  let newest = { time: stats.mtimeMs, file: entry };
  if (!stats.isDirectory()) return newest;
  for (const child of readdirSync(entry)) {
    const candidate = newestUnder(path.join(entry, child));
    if (candidate.time > newest.time) newest = candidate;
  }
  return newest;
}

/** Every file `npm run build` writes that the tests run: each function's entry and the CLI. */
export function bundleFiles(): string[] {
  const files = functionNames().map((name) => path.join(projectRoot, 'dist', name, 'index.mjs'));
  if (existsSync(path.join(projectRoot, 'bin', 'ecr-guard.ts'))) {
    files.push(path.join(projectRoot, 'dist', 'bin', 'ecr-guard.mjs'));
  }
  return files;
}

/** Why the bundles must be rebuilt, or undefined when every one is newer than all its sources. */
export function staleBundles(): string | undefined {
  const missing = bundleFiles().filter((file) => !existsSync(file));
  if (missing.length > 0) {
    return `${missing.map((file) => path.relative(projectRoot, file)).join(', ')} not built`;
  }
  const oldest = Math.min(...bundleFiles().map((file) => statSync(file).mtimeMs));
  const newest = SOURCES.map((source) => newestUnder(path.join(projectRoot, source))).reduce((a, b) =>
    b.time > a.time ? b : a,
  );
  return newest.time > oldest
    ? `${path.relative(projectRoot, newest.file)} changed after the last build`
    : undefined;
}

export default function buildStaleBundles(): void {
  const reason = staleBundles();
  if (reason === undefined) return;
  console.log(`test: ${reason}; running node scripts/build.ts before the tests that run dist/`);
  execFileSync(process.execPath, [path.join(projectRoot, 'scripts', 'build.ts')], {
    cwd: projectRoot,
    stdio: 'inherit',
  });
}

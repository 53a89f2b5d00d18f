/**
 * `npm run build:lib`: the CDK construct library that `npm pack` ships (package.json `exports`).
 * - dist/lib-js/index.js: infra/index.ts bundled by esbuild into one ESM file that imports only
 *   `aws-cdk-lib`, `constructs` (peer dependencies) and Node built-ins;
 * - dist/lib-js/types/: the `.d.ts` declarations emitted by tsc (tsconfig.lib.json).
 *
 * Why a bundle and not tsc's JavaScript: the construct takes a few constants (metric names, IAM
 * actions, setting rows) from lib/ modules, which are TypeScript and not shipped one by one. Those
 * modules import no AWS SDK or Powertools (test/unit/lib-purity.test.ts): the packages of the Lambda
 * code stay external here, so an import of one would be left in the bundle and fail the build, and
 * the package's runtime needs stay exactly its two peer dependencies.
 * The construct finds the Lambda bundles (dist/guardrail, dist/sweep) one level up from
 * dist/lib-js/index.js (infra/ecr-immutability-guard.ts, DEFAULT_BUNDLE_DIR).
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outdir = path.join(root, 'dist', 'lib-js');

/** What the library may import at run time: its peer dependencies and Node built-ins. */
export const ALLOWED_IMPORT = /^(aws-cdk-lib(\/.*)?|constructs|node:.*)$/;

/** Packages of the Lambda code: never bundled into the construct, so reaching one fails the build. */
const LAMBDA_ONLY_PACKAGES = ['@aws-sdk/*', '@smithy/*', '@aws-lambda-powertools/*'];

async function main(): Promise<void> {
  rmSync(outdir, { recursive: true, force: true });
  const result = await esbuild.build({
    entryPoints: [path.join(root, 'infra', 'index.ts')],
    outfile: path.join(outdir, 'index.js'),
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    external: ['aws-cdk-lib', 'aws-cdk-lib/*', 'constructs', ...LAMBDA_ONLY_PACKAGES],
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
  });
  const imports = Object.values(result.metafile.outputs).flatMap((output) => output.imports);
  const unexpected = [...new Set(imports.map((i) => i.path).filter((p) => !ALLOWED_IMPORT.test(p)))];
  if (unexpected.length > 0) {
    throw new Error(
      `dist/lib-js/index.js imports ${unexpected.join(', ')} at run time; the construct may import only ` +
        'aws-cdk-lib, constructs and node: built-ins (move the value it needs into a module without SDK imports)',
    );
  }
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.lib.json')], { stdio: 'inherit' });
  console.log(`built ${path.relative(root, path.join(outdir, 'index.js'))} and its declarations`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}

/** Entry point of the `ecr-guard` CLI (built to dist/bin/ecr-guard.mjs). */
import { runCli } from './program.ts';

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});

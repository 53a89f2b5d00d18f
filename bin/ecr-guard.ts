/** Entry point of the `ecr-guard` CLI (built to dist/bin/ecr-guard.mjs). */
import { EXIT } from './exit-codes.ts';
import { runCli } from './program.ts';

// `ecr-guard sweep | head` closes our stdout early: stop quietly, as a command ended by SIGPIPE does.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(EXIT.brokenPipe);
    throw error;
  });
}

// Ctrl-C: the pass stops starting work and prints its partial summary; a second Ctrl-C ends at once.
const interrupt = new AbortController();
process.on('SIGINT', () => {
  if (interrupt.signal.aborted) process.exit(EXIT.interrupted);
  interrupt.abort();
});

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signal: interrupt.signal,
});
// Interrupted: calls still in flight must not keep the process (or its output) going.
if (interrupt.signal.aborted) process.exit(code);
process.exitCode = code;

/**
 * The CLI in this process (bin/program.ts's `runCli`), with stdout and stderr captured: for tests of
 * options, messages and exit codes that need no child process. The built CLI in a child process is
 * ./cli.ts.
 */
import { PassThrough } from 'node:stream';
import { runCli } from '../../bin/program.ts';

export interface InProcessRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `ecr-guard args` with exactly `env`; stdout claims to be a terminal when `tty` is true. */
export async function runCliInProcess(
  args: readonly string[],
  options: { readonly env?: Record<string, string>; readonly tty?: boolean } = {},
): Promise<InProcessRun> {
  const stdout = Object.assign(new PassThrough(), { isTTY: options.tty === true });
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const code = await runCli(args, { stdout, stderr, env: options.env ?? {} });
  return { code, stdout: out, stderr: err };
}

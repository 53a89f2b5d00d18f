/**
 * The built `ecr-guard` CLI (dist/bin/ecr-guard.mjs) as a user runs it: in a child process with exactly
 * the environment given (plus PATH), through pipes, or in a pseudo-terminal (util-linux `script`) when a
 * test reads what a terminal shows.
 */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { type ChildResult, runNode } from './child-process.ts';
import { projectRoot } from './fixtures.ts';

export const CLI = path.join(projectRoot, 'dist', 'bin', 'ecr-guard.mjs');

export function runBuiltCli(args: readonly string[], env: Record<string, string>): Promise<ChildResult> {
  return runNode([CLI, ...args], { PATH: process.env.PATH, ...env });
}

/**
 * Runs the built CLI and kills it (SIGKILL) if it is still running after `killAfterMs`: a CLI that would
 * never end ends the test with `killed: true` instead of the test timing out.
 */
export function runBuiltCliWithin(
  args: readonly string[],
  env: Record<string, string>,
  killAfterMs: number,
): Promise<ChildResult & { readonly killed: boolean; readonly ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let killed = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, killAfterMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, killed, ms: Date.now() - started });
    });
  });
}

/** The JSON lines of the CLI's stdout. */
export function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .trim()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** True when util-linux `script` can give the CLI a terminal. */
export const hasTerminal = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;

const quote = (word: string) => `'${word.replaceAll("'", "'\\''")}'`;

/**
 * Runs the built CLI in a pseudo-terminal: stdout and stderr are a TTY, as in a shell; what the terminal
 * received comes back as one text (line ends `\r\n`).
 */
export function runBuiltCliInTerminal(
  args: readonly string[],
  env: Record<string, string>,
): Promise<{ code: number | null; screen: string }> {
  const command = [process.execPath, CLI, ...args].map(quote).join(' ');
  return new Promise((resolve) => {
    const child = spawn('script', ['-qefc', command, '/dev/null'], {
      env: { PATH: process.env.PATH, TERM: 'dumb', NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let screen = '';
    child.stdout.on('data', (chunk: Buffer) => {
      screen += chunk.toString();
    });
    child.on('close', (code) => resolve({ code, screen }));
  });
}

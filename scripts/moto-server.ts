/**
 * moto's server (https://docs.getmoto.org/en/latest/docs/server_mode.html), started and stopped in this one
 * place for everything that runs against it (scripts/test-moto.ts, scripts/cross-check-moto.ts and the
 * organisation end-to-end tests, test/e2e/org-backend.ts): on a free loopback port without
 * MOTO_ACCOUNT_ID (each request then acts on the account its access key belongs to; credentials from
 * AssumeRole act on the role's account), in its own process group, waited for until it answers, and
 * stopped with everything it started, also when the process that started it ends. PYTHON overrides the
 * interpreter.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';

export interface MotoServer {
  readonly url: string;
  readonly process: ChildProcess;
  /** The last 20,000 characters moto printed. */
  log(): string;
  stop(): Promise<void>;
}

/** The Python interpreter with moto: PYTHON, or python3. */
export const motoPython = (): string => process.env.PYTHON ?? 'python3';

/** moto's version, or undefined when the interpreter has no moto server. */
export function motoVersion(python = motoPython()): string | undefined {
  const probe = spawnSync(python, ['-c', 'import moto.server, moto; print(moto.__version__)'], {
    encoding: 'utf8',
  });
  return probe.status === 0 ? probe.stdout.trim() : undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Stops moto and everything it started (it runs in its own process group). */
export function stopMotoProcess(moto: ChildProcess): Promise<void> {
  if (moto.exitCode !== null || moto.signalCode !== null || moto.pid === undefined) return Promise.resolve();
  const pid = moto.pid;
  return new Promise((resolve) => {
    const killed = setTimeout(() => {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, 5_000);
    moto.once('exit', () => {
      clearTimeout(killed);
      resolve();
    });
    try {
      process.kill(-pid, 'SIGTERM');
    } catch {
      clearTimeout(killed);
      resolve();
    }
  });
}

async function waitUntilReady(url: string, moto: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (moto.exitCode !== null) throw new Error(`moto exited with code ${moto.exitCode}:\n${output()}`);
    try {
      const response = await fetch(`${url}/moto-api/data.json`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new Error(`moto did not answer on ${url} within 30 s:\n${output()}`);
}

/**
 * moto's server as `python3 -m moto.server -H 127.0.0.1 -p PORT` runs it, in a thread, while the main thread
 * waits for the end of its standard input: when the process that started it ends, however it ends (a
 * vitest worker stopped midway runs no afterAll), its end of the pipe closes and moto ends with it.
 */
const SERVE_UNTIL_STDIN_CLOSES = [
  'import sys, threading',
  'from moto.server import main',
  "threading.Thread(target=main, args=(['-H', '127.0.0.1', '-p', sys.argv[1]],), daemon=True).start()",
  'sys.stdin.read()',
].join('\n');

/** The moto servers started here and still running. */
const running = new Set<ChildProcess>();

/** Starts moto's server on a free loopback port, without MOTO_ACCOUNT_ID (accounts follow access keys). */
export async function startMotoServer(options: { cwd?: string; python?: string } = {}): Promise<MotoServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let log = '';
  const { MOTO_ACCOUNT_ID: _fixedAccount, ...env } = process.env;
  const moto = spawn(options.python ?? motoPython(), ['-c', SERVE_UNTIL_STDIN_CLOSES, String(port)], {
    cwd: options.cwd,
    detached: true, // its own process group, so that stopping it stops all of it
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...env, PYTHONUNBUFFERED: '1' },
  });
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-20_000);
  };
  moto.stdout?.on('data', keep);
  moto.stderr?.on('data', keep);
  running.add(moto);
  moto.once('exit', () => running.delete(moto));
  try {
    await waitUntilReady(url, moto, () => log);
  } catch (error) {
    await stopMotoProcess(moto);
    throw error;
  }
  return { url, process: moto, log: () => log, stop: () => stopMotoProcess(moto) };
}

/** Stops every moto server started here and still running (on Ctrl-C or SIGTERM). */
export async function stopEveryMoto(): Promise<void> {
  await Promise.all([...running].map(stopMotoProcess));
}

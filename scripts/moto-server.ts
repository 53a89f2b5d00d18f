/**
 * moto's server (https://docs.getmoto.org/en/latest/docs/server_mode.html) for the scripts that run against
 * it (scripts/test-moto.ts, scripts/cross-check-moto.ts): started on a free loopback port in its own process
 * group, waited for until it answers, and stopped with everything it started. PYTHON overrides the
 * interpreter.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const python = process.env.PYTHON ?? 'python3';

/** moto's version, or undefined when the interpreter has no moto server. */
export function motoVersion(): string | undefined {
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
export function stopMoto(moto: ChildProcess): Promise<void> {
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

/** The moto servers started here and still running. */
const running = new Set<ChildProcess>();

export interface MotoServer {
  readonly url: string;
  readonly process: ChildProcess;
  readonly log: () => string;
}

/** Starts `python3 -m moto.server` on a free loopback port, without MOTO_ACCOUNT_ID (accounts follow access keys). */
export async function startMoto(): Promise<MotoServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let log = '';
  const { MOTO_ACCOUNT_ID: _fixedAccount, ...env } = process.env;
  const moto = spawn(python, ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
    cwd: root,
    detached: true, // its own process group, so that stopping it stops all of it
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...env, PYTHONUNBUFFERED: '1' },
  });
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-20_000);
  };
  moto.stdout?.on('data', keep);
  moto.stderr?.on('data', keep);
  running.add(moto);
  moto.once('exit', () => running.delete(moto));
  await waitUntilReady(url, moto, () => log);
  return { url, process: moto, log: () => log };
}

/** Stops every moto server started here and still running (on Ctrl-C or SIGTERM). */
export async function stopEveryMoto(): Promise<void> {
  await Promise.all([...running].map(stopMoto));
}

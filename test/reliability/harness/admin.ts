/**
 * The emulator's control client, retried on connection errors: with many emulators busy in one
 * process, a kept-alive control connection may be closed by the server just as it is reused.
 * Every control route the suite calls is idempotent (reads, replacing faults, seeding by name).
 */
import { type AdminClient, emulatorAdmin } from '../../../emulator/index.ts';

async function retried<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const network = error instanceof TypeError && error.message === 'fetch failed';
      if (!network || attempt >= 3) throw error;
    }
  }
}

export function reliableAdmin(url: string): AdminClient {
  const admin = emulatorAdmin(url);
  return {
    ...admin,
    stats: () => retried(() => admin.stats()),
    reset: () => retried(() => admin.reset()),
    seed: (request) => retried(() => admin.seed(request)),
    faults: (config) => retried(() => admin.faults(config)),
    clearFaults: () => retried(() => admin.clearFaults()),
    events: () => retried(() => admin.events()),
    repositories: (query) => retried(() => admin.repositories(query)),
  };
}

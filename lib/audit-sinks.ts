/**
 * The audit sinks, listed from settings (lib/settings.ts): EventBridge audit events when an audit bus is
 * configured (`AUDIT_EVENT_BUS_NAME`, `--audit-event-bus`), Security Hub's ECR.2 findings in step with the
 * decisions when `SYNC_SECURITY_HUB` / `--sync-security-hub` is on. The functions and the CLI build their
 * list here and hand it to every auditor (lib/auditor.ts). Each SDK client is loaded only when its sink is
 * configured, made once for the container (or the CLI run) with the caller's own credentials, and shared
 * by the invocations; a Security Hub client per Region it syncs in. See docs/architecture.md, "Audit".
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SecurityHubClient } from '@aws-sdk/client-securityhub';
import type { AuditPublisher } from './audit.ts';
import type { AwsClientConfig } from './aws-client-config.ts';
import type { ClientHook } from './call-limits.ts';
import type { GuardConfig } from './config.ts';
import type { SecurityHubAdapter } from './securityhub.ts';

/** Where the sinks' clients are made. */
export interface AuditSinkClients {
  /** The configuration of a client with the caller's own credentials in `region`. */
  config(region: string): AwsClientConfig;
  /** The Region of the audit bus: the function's own, the CLI's first. */
  readonly homeRegion: string;
  /** Called on every client made here (the call limits of the container or the run). */
  readonly onClient?: ClientHook | undefined;
}

export interface AuditSinkOptions {
  /** Where the sinks tell what they could not do (the functions' logger; the CLI's stderr). */
  readonly logger: Pick<Logger, 'warn' | 'error'>;
  /** Milliseconds left in the current invocation; undefined: no deadline (the CLI). */
  readonly remainingMs?: (() => number | undefined) | undefined;
  readonly now?: (() => Date) | undefined;
}

/** The configured sinks of a container or a CLI run. */
export interface AuditSinks {
  /** The sinks of one invocation, fresh (the Security Hub sink keeps its invocation's decisions). */
  create(): AuditPublisher[];
  /** Destroys the clients made. */
  destroy(): void;
}

/** Builds the sinks the configuration asks for (none: an empty list, no client loaded). */
export async function createAuditSinks(
  config: Pick<GuardConfig, 'auditEventBusName' | 'securityHub' | 'policy'>,
  clients: AuditSinkClients,
  options: AuditSinkOptions,
): Promise<AuditSinks> {
  const made: (EventBridgeClient | SecurityHubClient)[] = [];
  const shared: AuditPublisher[] = [];
  if (config.auditEventBusName !== undefined) {
    const [{ EventBridgeClient }, { createAuditPublisher }] = await Promise.all([
      import('@aws-sdk/client-eventbridge'),
      import('./audit-events.ts'),
    ]);
    const events = new EventBridgeClient(clients.config(clients.homeRegion));
    clients.onClient?.(events);
    made.push(events);
    shared.push(
      createAuditPublisher(events, { eventBusName: config.auditEventBusName, logger: options.logger }),
    );
  }
  let securityHub: (() => AuditPublisher) | undefined;
  if (config.securityHub.sync) {
    const { createSecurityHubSink } = await import('./securityhub-sink.ts');
    // One adapter per Region, kept: its limiters space the calls of every invocation at the documented rates.
    // The client is loaded by the first sync that has work (never by a dry run, or a function that only lists).
    const adapters = new Map<string, Promise<SecurityHubAdapter>>();
    const adapterFor = (region: string) => {
      let adapter = adapters.get(region);
      if (adapter === undefined) {
        adapter = Promise.all([import('@aws-sdk/client-securityhub'), import('./securityhub.ts')]).then(
          ([{ SecurityHubClient }, { createSecurityHubAdapter }]) => {
            const client = new SecurityHubClient(clients.config(region));
            clients.onClient?.(client);
            made.push(client);
            return createSecurityHubAdapter(client);
          },
        );
        // A failed load is not kept: the next invocation tries again.
        adapter.catch(() => adapters.delete(region));
        adapters.set(region, adapter);
      }
      return adapter;
    };
    securityHub = () =>
      createSecurityHubSink({
        adapterFor,
        syncRegion: config.securityHub.region,
        policy: config.policy,
        now: options.now ?? (() => new Date()),
        remainingMs: options.remainingMs,
        logger: options.logger,
      });
  }
  return {
    create: () => [...shared, ...(securityHub === undefined ? [] : [securityHub()])],
    destroy() {
      for (const client of made) client.destroy();
      made.length = 0;
    },
  };
}

import type { PageTokens } from '../core/page-token.ts';
import type { RepositoryStore } from './store.ts';

/** What one ECR call runs against. */
export interface EcrContext {
  readonly store: RepositoryStore;
  /** The caller's account (its own registry). */
  readonly account: string;
  /** The region from the request's SigV4 credential scope. */
  readonly region: string;
  readonly nowMs: number;
  /** How long a newly created repository stays invisible to DescribeRepositories. */
  readonly visibilityDelayMs: number;
  readonly tokens: PageTokens;
}

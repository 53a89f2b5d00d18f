/**
 * Page tokens of one listing. AWS paginators hand back a `NextToken` until the last page; a source that
 * hands back a token it already gave (a bug, a proxy replaying a response, a forged answer) would make a
 * `do … while (token)` loop run forever. Every paginating loop of lib/ passes its tokens through a
 * {@link PageTokens}, which fails such a listing with a {@link RepeatedPageTokenError} instead.
 * Pure: no SDK, no clock.
 */
import { GuardError } from './errors.ts';

/** A listing handed back a page token it had already given: reading on would loop forever. */
export class RepeatedPageTokenError extends GuardError {
  readonly source: string;
  /** The page (1-based) whose answer repeated an earlier token. */
  readonly page: number;

  constructor(source: string, page: number, options?: ErrorOptions) {
    super(
      `${source} repeated a page token it had already returned (page ${page}): the listing would never end`,
      options,
    );
    this.name = 'RepeatedPageTokenError';
    this.source = source;
    this.page = page;
  }
}

export interface PageTokens {
  /**
   * The token to ask for next: `token` itself, or undefined at the end (an empty token is the end too).
   *
   * @throws RepeatedPageTokenError when the listing already returned this token.
   */
  next(token: string | undefined | null): string | undefined;
}

/**
 * Tracks the tokens of one listing by `source` (named in the error, `ECR DescribeRepositories`).
 * `start` is the token the listing resumes from, if any: it counts as given.
 */
export function pageTokens(source: string, start?: string): PageTokens {
  const seen = new Set<string>(start === undefined ? [] : [start]);
  let page = 0;
  return {
    next(token) {
      page += 1;
      if (token === undefined || token === null || token === '') return undefined;
      if (seen.has(token)) throw new RepeatedPageTokenError(source, page);
      seen.add(token);
      return token;
    },
  };
}

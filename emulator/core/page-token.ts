import { createHmac, timingSafeEqual } from 'node:crypto';
import { AwsError } from './errors.ts';
import { isJsonObject } from './validate.ts';

/** Where a listing stopped: the registry it walks, what it lists, and the last name it returned. */
export interface PagePosition {
  readonly account: string;
  readonly region: string;
  readonly after: string;
  /** What is listed when not repositories (e.g. `templates`), so a token cannot cross listings. */
  readonly scope?: string;
}

/** Seals and opens opaque `nextToken`s. */
export interface PageTokens {
  encode(position: PagePosition): string;
  /**
   * The name to resume after; a forged, damaged or foreign token (another account, region or `scope`) is
   * an `InvalidParameterException`.
   */
  decode(token: string, account: string, region: string, scope?: string, invalid?: () => AwsError): string;
}

const SIGNATURE_BYTES = 16;

function invalidEcrToken(): AwsError {
  return new AwsError(
    'InvalidParameterException',
    "Invalid parameter at 'nextToken': the pagination token is invalid",
  );
}

/**
 * Tokens are `base64url(JSON {a, r, n, s?}) + "." + base64url(HMAC-SHA256(secret, payload))`, so a client
 * cannot forge a position and a token from another account, region or listing is refused rather than
 * silently misread.
 */
export function createPageTokens(secret: string): PageTokens {
  const sign = (payload: string): Buffer =>
    createHmac('sha256', secret).update(payload).digest().subarray(0, SIGNATURE_BYTES);
  return {
    encode({ account, region, after, scope }) {
      const position = { a: account, r: region, n: after, ...(scope === undefined ? {} : { s: scope }) };
      const payload = Buffer.from(JSON.stringify(position)).toString('base64url');
      return `${payload}.${sign(payload).toString('base64url')}`;
    },
    decode(token, account, region, scope, invalid = invalidEcrToken) {
      const invalidToken = invalid;
      const [payload, signature, extra] = token.split('.');
      if (payload === undefined || signature === undefined || extra !== undefined) throw invalidToken();
      const given = Buffer.from(signature, 'base64url');
      if (given.length !== SIGNATURE_BYTES || !timingSafeEqual(given, sign(payload))) throw invalidToken();
      let position: unknown;
      try {
        position = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      } catch {
        throw invalidToken();
      }
      if (!isJsonObject(position) || position.a !== account || position.r !== region) throw invalidToken();
      if (position.s !== scope) throw invalidToken();
      if (typeof position.n !== 'string') throw invalidToken();
      return position.n;
    },
  };
}

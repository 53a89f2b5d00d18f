/**
 * Who a request comes from: the SigV4 credential scope gives the access key and region; the access key gives
 * the account (a seeded key, a session issued by AssumeRole, or else the default account).
 */
import { randomBytes } from 'node:crypto';
import { AwsError } from './errors.ts';

/** The caller of one API request. */
export interface Caller {
  /** The account the request acts on. */
  readonly account: string;
  /** The region of the SigV4 credential scope. */
  readonly region: string;
  /** The signing name of the credential scope, e.g. `ecr`, `sts`. */
  readonly signingName: string;
  readonly accessKeyId: string;
  /** `arn:aws:iam::<account>:user/emulator`, or `arn:aws:sts::<account>:assumed-role/<role>/<session>`. */
  readonly arn: string;
  /** GetCallerIdentity's `UserId`. */
  readonly userId: string;
  /** For an assumed-role session: the role's ARN. */
  readonly roleArn?: string;
}

/** Temporary credentials issued by AssumeRole. */
export interface Session {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly account: string;
  readonly roleArn: string;
  readonly roleName: string;
  readonly roleId: string;
  readonly sessionName: string;
  readonly expiresAtMs: number;
}

// SigV4: Authorization: AWS4-HMAC-SHA256 Credential=<key>/<yyyymmdd>/<region>/<service>/aws4_request, ...
const CREDENTIAL_SCOPE = /Credential=([^/,\s]+)\/[0-9]{8}\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request/;

/** The access key, region and signing name of a SigV4 `Authorization` header. */
export interface CredentialScope {
  readonly accessKeyId: string;
  readonly region: string;
  readonly signingName: string;
}

/**
 * Parses the SigV4 credential scope. The signature itself is not verified; a missing header is refused as
 * AWS does (MissingAuthenticationToken, 403 in the Common Errors reference).
 */
export function parseCredentialScope(authorization: string | undefined): CredentialScope {
  if (authorization === undefined || authorization === '') {
    throw new AwsError('MissingAuthenticationTokenException', 'Request is missing Authentication Token', 403);
  }
  const [, accessKeyId, region, signingName] = CREDENTIAL_SCOPE.exec(authorization) ?? [];
  if (accessKeyId === undefined || region === undefined || signingName === undefined) {
    throw new AwsError(
      'IncompleteSignatureException',
      "Authorization header requires a 'Credential' parameter of the form <key>/<date>/<region>/<service>/aws4_request",
    );
  }
  return { accessKeyId, region, signingName };
}

const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function randomKey(prefix: string, length: number): string {
  const bytes = randomBytes(length);
  let key = prefix;
  for (const byte of bytes) key += KEY_ALPHABET[byte % KEY_ALPHABET.length];
  return key;
}

/** Sessions issued by AssumeRole, by access key id. */
export class SessionStore {
  private sessions = new Map<string, Session>();

  issue(fields: Omit<Session, 'accessKeyId' | 'secretAccessKey' | 'sessionToken'>): Session {
    const session: Session = {
      ...fields,
      accessKeyId: randomKey('ASIA', 16),
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: `IQoJemulator${randomBytes(48).toString('base64')}`,
    };
    this.sessions.set(session.accessKeyId, session);
    return session;
  }

  get(accessKeyId: string): Session | undefined {
    return this.sessions.get(accessKeyId);
  }

  get size(): number {
    return this.sessions.size;
  }

  clear(): void {
    this.sessions = new Map();
  }
}

/**
 * The caller of a request: an AssumeRole session (which must carry its session token and not be expired:
 * `ExpiredTokenException`, as AWS answers), a seeded access key, or the default account.
 */
export function identifyCaller(
  scope: CredentialScope,
  sessionToken: string | undefined,
  accessKeys: ReadonlyMap<string, string>,
  sessions: SessionStore,
  defaultAccount: string,
  nowMs: number,
): Caller {
  const { accessKeyId, region, signingName } = scope;
  const session = sessions.get(accessKeyId);
  if (session !== undefined) {
    if (sessionToken !== session.sessionToken) {
      throw new AwsError(
        'UnrecognizedClientException',
        'The security token included in the request is invalid.',
        403,
      );
    }
    if (nowMs >= session.expiresAtMs) {
      throw new AwsError(
        'ExpiredTokenException',
        'The security token included in the request is expired',
        403,
      );
    }
    return {
      account: session.account,
      region,
      signingName,
      accessKeyId,
      arn: `arn:aws:sts::${session.account}:assumed-role/${session.roleName}/${session.sessionName}`,
      userId: `${session.roleId}:${session.sessionName}`,
      roleArn: session.roleArn,
    };
  }
  const account = accessKeys.get(accessKeyId) ?? defaultAccount;
  return {
    account,
    region,
    signingName,
    accessKeyId,
    arn: `arn:aws:iam::${account}:user/emulator`,
    userId: `AIDA${account}EMULATOR`,
  };
}

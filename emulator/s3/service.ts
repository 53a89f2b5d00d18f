/**
 * Amazon S3, path style (`/<bucket>/<key>`, REST with XML): CreateBucket, HeadBucket, ListObjectsV2,
 * PutObject, GetObject, HeadObject and DeleteObject, with S3's XML error document and codes. Buckets share one
 * namespace and each belongs to the account and region that created it; another account is refused
 * (`AccessDenied`: no bucket policies are modelled), another region is told the bucket's
 * (`AuthorizationHeaderMalformed`, as S3 answers a SigV4 request signed for the wrong region).
 * @see https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
 * @see https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html
 * @see https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
 * @see https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html
 * @see https://docs.aws.amazon.com/AmazonS3/latest/API/API_CreateBucket.html
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { AwsError } from '../core/errors.ts';
import type { Caller } from '../core/identity.ts';
import { escapeXml } from '../core/protocol.ts';
import type { RestCall, RestReply, RestRequest, RestService } from '../core/service.ts';
import { type Bucket, type BucketStore, bucketNameProblem, etagOf, type StoredObject } from './store.ts';

export const S3_OPERATIONS = [
  'CreateBucket',
  'HeadBucket',
  'ListObjectsV2',
  'PutObject',
  'GetObject',
  'HeadObject',
  'DeleteObject',
] as const;

const XML_HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n';
const S3_NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/';
/** S3's longest key: 1024 bytes of UTF-8. */
const MAX_KEY_BYTES = 1024;
const MAX_KEYS = 1000;
const CHECKSUM_HEADERS = [
  'x-amz-checksum-crc32',
  'x-amz-checksum-crc32c',
  'x-amz-checksum-crc64nvme',
  'x-amz-checksum-sha1',
  'x-amz-checksum-sha256',
] as const;
/** Query members the SDK adds to every call (`x-id=GetObject`), not subresources. */
const IGNORED_QUERY = new Set(['x-id']);
const LIST_QUERY = new Set([
  'list-type',
  'prefix',
  'max-keys',
  'continuation-token',
  'start-after',
  'delimiter',
  'encoding-type',
  'fetch-owner',
]);

/** What the S3 service runs against. */
export interface S3ServiceState {
  readonly buckets: BucketStore;
}

function s3Error(code: string, message: string, status: number, fields: Record<string, string> = {}) {
  return new AwsError(code, message, status, fields);
}

function notImplemented(what: string): AwsError {
  return s3Error(
    'NotImplemented',
    `A header or query you provided implies functionality that is not implemented: ${what} (the emulator serves ${S3_OPERATIONS.join(', ')})`,
    501,
  );
}

function element(name: string, value: string | number | boolean): string {
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

function header(request: RestRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** The bucket and key of a path-style request path (`/bucket/key`, still percent-encoded). */
function target(request: RestRequest): { bucket: string | undefined; key: string | undefined } {
  const path = request.path.slice(1);
  const slash = path.indexOf('/');
  const rawBucket = slash === -1 ? path : path.slice(0, slash);
  const rawKey = slash === -1 ? '' : path.slice(slash + 1);
  let bucket: string;
  let key: string;
  try {
    bucket = decodeURIComponent(rawBucket);
    key = decodeURIComponent(rawKey);
  } catch {
    throw s3Error('InvalidURI', "Couldn't parse the specified URI.", 400, { URI: request.path });
  }
  return { bucket: bucket === '' ? undefined : bucket, key: key === '' ? undefined : key };
}

function checkQuery(request: RestRequest, allowed: ReadonlySet<string>): void {
  for (const name of request.query.keys()) {
    if (!IGNORED_QUERY.has(name) && !allowed.has(name)) notImplementedQuery(name);
  }
}

function notImplementedQuery(name: string): never {
  throw notImplemented(`?${name}`);
}

function operationOf(request: RestRequest): string {
  const { bucket, key } = target(request);
  const method = request.method;
  if (bucket === undefined) throw notImplemented(`${method} / (ListBuckets)`);
  if (key === undefined) {
    if (method === 'PUT') return checked(request, new Set(), 'CreateBucket');
    if (method === 'HEAD') return checked(request, new Set(), 'HeadBucket');
    if (method === 'GET') {
      if (request.query.get('list-type') !== '2') throw notImplemented('GET /<bucket> without list-type=2');
      return checked(request, LIST_QUERY, 'ListObjectsV2');
    }
    throw notImplemented(`${method} /<bucket>`);
  }
  if (header(request, 'x-amz-copy-source') !== undefined) throw notImplemented('CopyObject');
  if (header(request, 'range') !== undefined) throw notImplemented('the Range header');
  if (method === 'PUT') return checked(request, new Set(), 'PutObject');
  if (method === 'GET') return checked(request, new Set(), 'GetObject');
  if (method === 'HEAD') return checked(request, new Set(), 'HeadObject');
  if (method === 'DELETE') return checked(request, new Set(), 'DeleteObject');
  throw notImplemented(`${method} /<bucket>/<key>`);
}

function checked(request: RestRequest, allowed: ReadonlySet<string>, operation: string): string {
  checkQuery(request, allowed);
  return operation;
}

function checkBucketName(name: string): void {
  const problem = bucketNameProblem(name);
  if (problem !== undefined)
    throw s3Error('InvalidBucketName', `The specified bucket is not valid: '${name}' ${problem}.`, 400, {
      BucketName: name,
    });
}

/** The caller's bucket: it exists, belongs to the caller's account and lives in the caller's region. */
function ownBucket(state: S3ServiceState, name: string, caller: Caller): Bucket {
  checkBucketName(name);
  const bucket = state.buckets.get(name);
  if (bucket === undefined)
    throw s3Error('NoSuchBucket', 'The specified bucket does not exist', 404, { BucketName: name });
  if (bucket.account !== caller.account) throw s3Error('AccessDenied', 'Access Denied', 403);
  if (bucket.region !== caller.region)
    throw s3Error(
      'AuthorizationHeaderMalformed',
      `The authorization header is malformed; the region '${caller.region}' is wrong; expecting '${bucket.region}'`,
      400,
      { Region: bucket.region },
    );
  return bucket;
}

function createBucket(state: S3ServiceState, name: string, call: RestCall): RestReply {
  checkBucketName(name);
  const { caller } = call;
  const text = call.request.body.toString('utf8');
  const constraint = /<LocationConstraint>([^<]*)<\/LocationConstraint>/.exec(text)?.[1] ?? '';
  if (constraint === 'us-east-1')
    throw s3Error('InvalidLocationConstraint', 'The specified location-constraint is not valid', 400, {
      LocationConstraint: constraint,
    });
  const region = constraint === '' ? 'us-east-1' : constraint;
  if (region !== caller.region)
    throw s3Error(
      'IllegalLocationConstraintException',
      `The ${constraint === '' ? 'unspecified' : constraint} location constraint is incompatible for the region specific endpoint this request was sent to.`,
      400,
    );
  const existing = state.buckets.get(name);
  if (existing !== undefined) {
    if (existing.account !== caller.account)
      throw s3Error(
        'BucketAlreadyExists',
        'The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.',
        409,
        { BucketName: name },
      );
    // us-east-1 answers 200 to its owner again (a legacy behaviour); other regions refuse.
    if (existing.region !== 'us-east-1')
      throw s3Error(
        'BucketAlreadyOwnedByYou',
        'Your previous request to create the named bucket succeeded and you already own it.',
        409,
        { BucketName: name },
      );
  } else {
    state.buckets.create(name, caller.account, region, call.nowMs);
  }
  return { status: 200, headers: { location: `/${name}`, 'content-length': '0' }, body: '' };
}

/** Decodes an `aws-chunked` body (SigV4 streaming, signed or not): the data and any trailing headers. */
function decodeChunked(body: Buffer): { data: Buffer; trailers: Record<string, string> } {
  const chunks: Buffer[] = [];
  const trailers: Record<string, string> = {};
  let at = 0;
  const malformed = () =>
    s3Error('IncompleteBody', 'The aws-chunked request body is malformed (emulator).', 400);
  for (;;) {
    const end = body.indexOf('\r\n', at);
    if (end === -1) throw malformed();
    const size = Number.parseInt(body.subarray(at, end).toString('latin1').split(';')[0] ?? '', 16);
    if (!Number.isInteger(size) || size < 0) throw malformed();
    at = end + 2;
    if (size === 0) break;
    if (at + size > body.length) throw malformed();
    chunks.push(body.subarray(at, at + size));
    at += size + 2;
  }
  for (const line of body.subarray(at).toString('latin1').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { data: Buffer.concat(chunks), trailers };
}

function crc32Base64(data: Buffer): string {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(crc32(data));
  return bytes.toString('base64');
}

/** Checks every digest the upload carries that the emulator can compute; a mismatch is S3's `BadDigest`. */
function verifyDigests(
  data: Buffer,
  checksums: Readonly<Record<string, string>>,
  request: RestRequest,
): void {
  const md5 = header(request, 'content-md5');
  if (md5 !== undefined && createHash('md5').update(data).digest('base64') !== md5)
    throw s3Error('BadDigest', 'The Content-MD5 you specified did not match what we received.', 400);
  const sha256 = header(request, 'x-amz-content-sha256');
  if (
    sha256 !== undefined &&
    /^[0-9a-f]{64}$/.test(sha256) &&
    createHash('sha256').update(data).digest('hex') !== sha256
  )
    throw s3Error(
      'XAmzContentSHA256Mismatch',
      "The provided 'x-amz-content-sha256' header does not match what was computed.",
      400,
    );
  const computed: Record<string, () => string> = {
    'x-amz-checksum-crc32': () => crc32Base64(data),
    'x-amz-checksum-sha1': () => createHash('sha1').update(data).digest('base64'),
    'x-amz-checksum-sha256': () => createHash('sha256').update(data).digest('base64'),
  };
  for (const [name, value] of Object.entries(checksums)) {
    const compute = computed[name];
    if (compute !== undefined && compute() !== value) {
      const algorithm = name.slice('x-amz-checksum-'.length).toUpperCase();
      throw s3Error(
        'BadDigest',
        `The ${algorithm} you specified did not match the calculated checksum.`,
        400,
      );
    }
  }
}

function putObject(bucket: Bucket, key: string, call: RestCall): RestReply {
  const { request } = call;
  const chunked =
    (header(request, 'content-encoding') ?? '').includes('aws-chunked') ||
    (header(request, 'x-amz-content-sha256') ?? '').startsWith('STREAMING-');
  const { data, trailers } = chunked ? decodeChunked(request.body) : { data: request.body, trailers: {} };
  const checksums: Record<string, string> = {};
  for (const name of CHECKSUM_HEADERS) {
    const value = header(request, name) ?? trailers[name];
    if (value !== undefined) checksums[name] = value;
  }
  verifyDigests(data, checksums, request);
  const metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers))
    if (name.startsWith('x-amz-meta-') && typeof value === 'string') metadata[name] = value;
  const stored: StoredObject = {
    body: data,
    etag: etagOf(data),
    contentType: header(request, 'content-type') ?? 'binary/octet-stream',
    lastModifiedMs: call.nowMs,
    checksums,
    metadata,
  };
  bucket.objects.set(key, stored);
  return {
    status: 200,
    headers: {
      etag: stored.etag,
      'x-amz-server-side-encryption': 'AES256',
      ...checksums,
      ...(Object.keys(checksums).length > 0 ? { 'x-amz-checksum-type': 'FULL_OBJECT' } : {}),
      'content-length': '0',
    },
    body: '',
  };
}

function readObject(bucket: Bucket, key: string, call: RestCall, withBody: boolean): RestReply {
  const stored = bucket.objects.get(key);
  if (stored === undefined)
    throw s3Error('NoSuchKey', 'The specified key does not exist.', 404, { Key: key });
  const checksumMode = (header(call.request, 'x-amz-checksum-mode') ?? '').toUpperCase() === 'ENABLED';
  return {
    status: 200,
    headers: {
      'content-type': stored.contentType,
      'content-length': String(stored.body.length),
      etag: stored.etag,
      'last-modified': new Date(stored.lastModifiedMs).toUTCString(),
      'accept-ranges': 'bytes',
      'x-amz-server-side-encryption': 'AES256',
      ...stored.metadata,
      ...(checksumMode && Object.keys(stored.checksums).length > 0
        ? { ...stored.checksums, 'x-amz-checksum-type': 'FULL_OBJECT' }
        : {}),
    },
    body: withBody ? stored.body : '',
  };
}

function listObjects(bucket: Bucket, request: RestRequest): RestReply {
  const query = request.query;
  const prefix = query.get('prefix') ?? '';
  const delimiter = query.get('delimiter') ?? '';
  const startAfter = query.get('start-after') ?? '';
  const encoding = query.get('encoding-type');
  if (encoding !== null && encoding !== 'url')
    throw s3Error('InvalidArgument', 'Invalid Encoding Method specified in Request', 400, {
      ArgumentName: 'encoding-type',
      ArgumentValue: encoding,
    });
  const maxText = query.get('max-keys') ?? String(MAX_KEYS);
  const maxKeys = Number(maxText);
  if (!/^[0-9]+$/.test(maxText) || !Number.isSafeInteger(maxKeys))
    throw s3Error('InvalidArgument', 'Provided max-keys not an integer or within integer range', 400, {
      ArgumentName: 'max-keys',
      ArgumentValue: maxText,
    });
  const limit = Math.min(maxKeys, MAX_KEYS);
  const token = query.get('continuation-token');
  let after = startAfter;
  if (token !== null) {
    const decoded = Buffer.from(token, 'base64url').toString('utf8');
    if (token === '' || !decoded.startsWith(`${bucket.name}\n`))
      throw s3Error('InvalidArgument', 'The continuation token provided is incorrect', 400, {
        ArgumentName: 'continuation-token',
      });
    after = decoded.slice(bucket.name.length + 1);
  }
  const keys = [...bucket.objects.keys()]
    .filter((key) => key.startsWith(prefix) && key > after)
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const contents: string[] = [];
  const prefixes: string[] = [];
  let last: string | undefined;
  let truncated = false;
  for (const key of keys) {
    const cut = delimiter === '' ? -1 : key.indexOf(delimiter, prefix.length);
    const common = cut === -1 ? undefined : key.slice(0, cut + delimiter.length);
    if (common !== undefined && common === prefixes.at(-1)) {
      last = key;
      continue;
    }
    if (contents.length + prefixes.length >= limit) {
      truncated = true;
      break;
    }
    if (common !== undefined) prefixes.push(common);
    else contents.push(key);
    last = key;
  }
  const encode = (text: string) =>
    encoding === 'url' ? encodeURIComponent(text).replaceAll('%2F', '/') : text;
  const entries = contents.map((key) => {
    const stored = bucket.objects.get(key);
    return (
      '<Contents>' +
      element('Key', encode(key)) +
      element('LastModified', new Date(stored?.lastModifiedMs ?? 0).toISOString()) +
      element('ETag', stored?.etag ?? '') +
      element('Size', stored?.body.length ?? 0) +
      element('StorageClass', 'STANDARD') +
      '</Contents>'
    );
  });
  const xml =
    `${XML_HEADER}<ListBucketResult xmlns="${S3_NAMESPACE}">` +
    element('Name', bucket.name) +
    element('Prefix', encode(prefix)) +
    (delimiter === '' ? '' : element('Delimiter', encode(delimiter))) +
    (startAfter === '' ? '' : element('StartAfter', encode(startAfter))) +
    (token === null ? '' : element('ContinuationToken', token)) +
    element('KeyCount', contents.length + prefixes.length) +
    element('MaxKeys', limit) +
    (encoding === null ? '' : element('EncodingType', encoding)) +
    element('IsTruncated', truncated) +
    entries.join('') +
    prefixes
      .map((common) => `<CommonPrefixes>${element('Prefix', encode(common))}</CommonPrefixes>`)
      .join('') +
    (truncated && last !== undefined
      ? element('NextContinuationToken', Buffer.from(`${bucket.name}\n${last}`).toString('base64url'))
      : '') +
    '</ListBucketResult>';
  return { status: 200, headers: { 'content-type': 'application/xml' }, body: xml };
}

function run(state: S3ServiceState, call: RestCall): RestReply {
  const { bucket: name = '', key = '' } = target(call.request);
  if (Buffer.byteLength(key) > MAX_KEY_BYTES)
    throw s3Error('KeyTooLongError', 'Your key is too long', 400, {
      MaxSizeAllowed: String(MAX_KEY_BYTES),
      Size: String(Buffer.byteLength(key)),
    });
  if (call.operation === 'CreateBucket') return createBucket(state, name, call);
  const bucket = ownBucket(state, name, call.caller);
  switch (call.operation) {
    case 'HeadBucket':
      return { status: 200, headers: { 'x-amz-bucket-region': bucket.region }, body: '' };
    case 'ListObjectsV2':
      return listObjects(bucket, call.request);
    case 'PutObject':
      return putObject(bucket, key, call);
    case 'GetObject':
      return readObject(bucket, key, call, true);
    case 'HeadObject':
      return readObject(bucket, key, call, false);
    default:
      // DeleteObject: 204 whether or not the key existed (no versioning).
      bucket.objects.delete(key);
      return { status: 204, headers: {}, body: '' };
  }
}

// The core's errors (authentication, size) in S3's words.
const CORE_ERRORS: Readonly<Record<string, { code: string; status: number; message?: string }>> = {
  MissingAuthenticationTokenException: { code: 'AccessDenied', status: 403, message: 'Access Denied' },
  IncompleteSignatureException: { code: 'AuthorizationHeaderMalformed', status: 400 },
  ExpiredTokenException: { code: 'ExpiredToken', status: 400, message: 'The provided token has expired.' },
  UnrecognizedClientException: {
    code: 'InvalidToken',
    status: 400,
    message: 'The provided token is malformed or otherwise invalid.',
  },
  RequestEntityTooLargeException: { code: 'EntityTooLarge', status: 400 },
};

/** S3's REST error document: `<Error><Code/><Message/>…<RequestId/><HostId/></Error>`, no body for HEAD. */
function errorReply(error: AwsError, request: RestRequest): RestReply {
  const mapped = CORE_ERRORS[error.code];
  const code = mapped?.code ?? error.code;
  const status = mapped?.status ?? error.status;
  const message = mapped?.message ?? error.message;
  if (request.method === 'HEAD') return { status, headers: {}, body: '' };
  const fields = Object.entries(error.fields)
    .map(([name, value]) => element(name, value))
    .join('');
  const xml =
    `${XML_HEADER}<Error>` +
    element('Code', code) +
    element('Message', message) +
    fields +
    element('Resource', request.path) +
    element('RequestId', randomUUID().replaceAll('-', '').slice(0, 16).toUpperCase()) +
    element('HostId', randomBytes(24).toString('base64')) +
    '</Error>';
  return { status, headers: { 'content-type': 'application/xml' }, body: xml };
}

export function s3Service(state: S3ServiceState): RestService {
  return {
    name: 's3',
    title: 'S3',
    protocol: 'rest',
    signingName: 's3',
    operations: S3_OPERATIONS,
    operationOf,
    run: (call) => run(state, call),
    errorReply,
    faultError(fault) {
      // S3 throttles with 503 SlowDown and fails with 500 InternalError.
      if (fault === 'throttle') return s3Error('SlowDown', 'Please reduce your request rate.', 503);
      if (fault === 'server-error')
        return s3Error(
          'InternalError',
          'We encountered an internal error. Please try again. (injected by the emulator)',
          500,
        );
      return s3Error('AccessDenied', 'Access Denied (injected by the emulator)', 403);
    },
  };
}

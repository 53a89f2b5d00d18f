/**
 * The emulator's S3 through the real `@aws-sdk/client-s3`: path style on an IP-address endpoint, objects
 * round trip byte for byte (with the SDK's CRC32 checked both ways), errors arrive by S3's codes, and a
 * bucket belongs to one account and one region.
 */

import { Readable } from 'node:stream';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ClientCredentials, startTestEmulator, type TestEmulator } from './helpers.ts';

const OWNER = '111111111111';
const OTHER = '222222222222';
const OWNER_KEY: ClientCredentials = { accessKeyId: 'owner-key', secretAccessKey: 'x' };
const OTHER_KEY: ClientCredentials = { accessKeyId: 'other-key', secretAccessKey: 'x' };
const REGION = 'eu-west-1';
const BUCKET = 'guard-results';

function s3Client(url: string, credentials = OWNER_KEY, region = REGION): S3Client {
  return new S3Client({ region, endpoint: url, credentials, maxAttempts: 1 });
}

/** The S3 error code a call fails with (the SDK's exception name), and its HTTP status. */
async function failureOf(call: Promise<unknown>): Promise<{ code: string; status: number | undefined }> {
  try {
    await call;
  } catch (error) {
    if (error instanceof S3ServiceException)
      return { code: error.name, status: error.$metadata.httpStatusCode };
    throw error;
  }
  throw new Error('the call succeeded');
}

describe('the emulator S3, through the AWS SDK', () => {
  let emulator: TestEmulator;
  let s3: S3Client;

  beforeAll(async () => {
    emulator = await startTestEmulator({ accounts: { 'owner-key': OWNER, 'other-key': OTHER } });
    s3 = s3Client(emulator.url);
  });
  beforeEach(async () => {
    await emulator.admin.reset();
    await s3.send(
      new CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: REGION } }),
    );
  });
  afterAll(async () => {
    s3.destroy();
    await emulator.stop();
  });

  it('uses path style on an IP-address endpoint, without forcePathStyle', async () => {
    let path = '';
    s3.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request;
        if (typeof request === 'object' && request !== null && 'path' in request) path = String(request.path);
        return next(args);
      },
      { step: 'finalizeRequest', name: 'recordPath' },
    );
    try {
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'a/b.json', Body: '{}' }));
    } finally {
      s3.middlewareStack.remove('recordPath');
    }
    expect(path).toBe(`/${BUCKET}/a/b.json`);
  });

  it('round-trips an object: the bytes, content type, metadata and an ETag that is the MD5 of the bytes', async () => {
    const body = JSON.stringify([{ accountId: OWNER, region: REGION }]);
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'scope/items.json',
        Body: body,
        ContentType: 'application/json',
        Metadata: { origin: 'test' },
      }),
    );
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'scope/items.json' }));
    expect(await got.Body?.transformToString('utf-8')).toBe(body);
    expect(got).toMatchObject({
      ContentType: 'application/json',
      ContentLength: Buffer.byteLength(body),
      ETag: put.ETag,
      Metadata: { origin: 'test' },
    });
    const { createHash } = await import('node:crypto');
    expect(put.ETag).toBe(`"${createHash('md5').update(body).digest('hex')}"`);
    expect(got.LastModified).toBeInstanceOf(Date);
  });

  it('keeps keys with slashes, spaces, dots and unicode apart, and lists them by prefix in byte order', async () => {
    const keys = ['résumé/日本語 file.json', 'résumé/a+b=c&d.json', 'résumé/../dot.json', 'other/x.json'];
    for (const [index, key] of keys.entries())
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: `body ${index}` }));
    for (const [index, key] of keys.entries()) {
      const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      expect(await got.Body?.transformToString()).toBe(`body ${index}`);
    }
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'résumé/' }));
    expect(listed.Contents?.map((entry) => entry.Key)).toEqual(
      keys.slice(0, 3).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
    );
    expect(listed).toMatchObject({ KeyCount: 3, IsTruncated: false });
  });

  it('pages ListObjectsV2 with continuation tokens and groups common prefixes by delimiter', async () => {
    for (const key of ['a/1', 'a/2', 'b/1', 'c', 'd'])
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: key }));
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: BUCKET, MaxKeys: 2, ContinuationToken: token }),
      );
      seen.push(...(page.Contents ?? []).map((entry) => entry.Key ?? ''));
      token = page.NextContinuationToken;
    } while (token !== undefined);
    expect(seen).toEqual(['a/1', 'a/2', 'b/1', 'c', 'd']);
    const grouped = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Delimiter: '/' }));
    expect(grouped.CommonPrefixes?.map((entry) => entry.Prefix)).toEqual(['a/', 'b/']);
    expect(grouped.Contents?.map((entry) => entry.Key)).toEqual(['c', 'd']);
  });

  it('stores a ~1 MB body intact, and the SDK validates its CRC32 on the way back', async () => {
    const body = Buffer.alloc(1_000_000);
    for (let index = 0; index < body.length; index += 1) body[index] = (index * 31) % 251;
    const put = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'large.bin', Body: body }));
    expect(put.ChecksumCRC32).toBeDefined();
    const got = await s3.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: 'large.bin', ChecksumMode: 'ENABLED' }),
    );
    expect(got.ChecksumCRC32).toBe(put.ChecksumCRC32);
    const bytes = Buffer.from((await got.Body?.transformToByteArray()) ?? []);
    expect(bytes.equals(body)).toBe(true);
  });

  it('decodes a streamed upload (aws-chunked, with the CRC32 in a trailer) to the bytes sent', async () => {
    const parts = ['{"items":', '[1,2,3]', '}'];
    let encoding = '';
    s3.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request;
        const headers =
          typeof request === 'object' && request !== null && 'headers' in request
            ? request.headers
            : undefined;
        if (typeof headers === 'object' && headers !== null && 'content-encoding' in headers)
          encoding = String(headers['content-encoding']);
        return next(args);
      },
      { step: 'finalizeRequest', name: 'recordEncoding', priority: 'low' },
    );
    const put = await s3
      .send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: 'streamed.json',
          Body: Readable.from(parts.map((part) => Buffer.from(part))),
          ContentLength: parts.join('').length,
        }),
      )
      .finally(() => s3.middlewareStack.remove('recordEncoding'));
    expect(encoding).toContain('aws-chunked');
    const got = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'streamed.json' }));
    expect(await got.Body?.transformToString()).toBe(parts.join(''));
    expect(got.ETag).toBe(put.ETag);
  });

  it('lists keys URL-encoded when asked (encoding-type=url)', async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'é/a b', Body: 'x' }));
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, EncodingType: 'url' }));
    expect(listed.Contents?.map((entry) => entry.Key)).toEqual(['%C3%A9/a%20b']);
  });

  it('refuses a body over maxBodyBytes with EntityTooLarge', async () => {
    const small = await startTestEmulator({
      maxBodyBytes: 1024,
      buckets: [{ name: BUCKET, region: REGION }],
    });
    const client = s3Client(small.url, { accessKeyId: 'test', secretAccessKey: 'x' });
    try {
      const failure = await failureOf(
        client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'k', Body: Buffer.alloc(2048) })),
      );
      expect(failure).toEqual({ code: 'EntityTooLarge', status: 400 });
    } finally {
      client.destroy();
      await small.stop();
    }
  });

  it('refuses a body whose checksum does not match with BadDigest', async () => {
    const failure = await failureOf(
      s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'k', Body: 'text', ChecksumCRC32: 'AAAAAA==' })),
    );
    expect(failure).toEqual({ code: 'BadDigest', status: 400 });
  });

  it.each([
    [
      'a missing key',
      () => s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'nope.json' })),
      'NoSuchKey',
      404,
    ],
    [
      'a missing bucket',
      () => s3.send(new GetObjectCommand({ Bucket: 'no-such-bucket', Key: 'k' })),
      'NoSuchBucket',
      404,
    ],
    [
      'a put to a missing bucket',
      () => s3.send(new PutObjectCommand({ Bucket: 'no-such-bucket', Key: 'k', Body: 'x' })),
      'NoSuchBucket',
      404,
    ],
    [
      'an invalid bucket name',
      () => s3.send(new GetObjectCommand({ Bucket: 'Bad_Name', Key: 'k' })),
      'InvalidBucketName',
      400,
    ],
    [
      'a bucket name of two letters',
      () =>
        s3.send(
          new CreateBucketCommand({
            Bucket: 'ab',
            CreateBucketConfiguration: { LocationConstraint: REGION },
          }),
        ),
      'InvalidBucketName',
      400,
    ],
    [
      'a location constraint other than the endpoint region',
      () =>
        s3.send(
          new CreateBucketCommand({
            Bucket: 'elsewhere',
            CreateBucketConfiguration: { LocationConstraint: 'us-west-2' },
          }),
        ),
      'IllegalLocationConstraintException',
      400,
    ],
    [
      'creating a bucket the caller already owns outside us-east-1',
      () =>
        s3.send(
          new CreateBucketCommand({
            Bucket: BUCKET,
            CreateBucketConfiguration: { LocationConstraint: REGION },
          }),
        ),
      'BucketAlreadyOwnedByYou',
      409,
    ],
  ] as const)('answers %s with its S3 error code', async (_situation, call, code, status) => {
    expect(await failureOf(call())).toEqual({ code, status });
  });

  it('answers HeadObject on a missing key with a bodiless 404 (NotFound), and DeleteObject removes the key', async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'k', Body: 'x' }));
    expect((await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'k' }))).ContentLength).toBe(1);
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'k' }));
    expect(await failureOf(s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'k' })))).toEqual({
      code: 'NotFound',
      status: 404,
    });
  });

  it('keeps a bucket to its account: another account can neither read, write nor take its name', async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'secret.json', Body: '{}' }));
    const other = s3Client(emulator.url, OTHER_KEY);
    try {
      expect(
        await failureOf(other.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'secret.json' }))),
      ).toEqual({
        code: 'AccessDenied',
        status: 403,
      });
      expect(
        await failureOf(other.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'x', Body: 'x' }))),
      ).toEqual({
        code: 'AccessDenied',
        status: 403,
      });
      expect(
        await failureOf(
          other.send(
            new CreateBucketCommand({
              Bucket: BUCKET,
              CreateBucketConfiguration: { LocationConstraint: REGION },
            }),
          ),
        ),
      ).toEqual({ code: 'BucketAlreadyExists', status: 409 });
    } finally {
      other.destroy();
    }
    expect([...(emulator.emulator.state.buckets.get(BUCKET)?.objects.keys() ?? [])]).toEqual(['secret.json']);
  });

  it('tells a caller signing for another region where the bucket lives', async () => {
    const elsewhere = s3Client(emulator.url, OWNER_KEY, 'us-east-1');
    try {
      expect(await failureOf(elsewhere.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'k' })))).toEqual({
        code: 'AuthorizationHeaderMalformed',
        status: 400,
      });
    } finally {
      elsewhere.destroy();
    }
  });

  it('answers an unsigned request with the XML error document S3 sends', async () => {
    const response = await fetch(`${emulator.url}/${BUCKET}/k`);
    expect(response.status).toBe(403);
    expect(response.headers.get('content-type')).toBe('application/xml');
    const text = await response.text();
    expect(text).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n<Error><Code>AccessDenied<\/Code>/);
    expect(text).toContain(`<Resource>/${BUCKET}/k</Resource>`);
    expect(text).toMatch(/<RequestId>[0-9A-F]{16}<\/RequestId><HostId>/);
  });

  it('injects faults as S3 does (503 SlowDown) and counts calls per operation and outcome', async () => {
    await emulator.admin.faults({ GetObject: { throttle: { probability: 1 } } });
    expect(await failureOf(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'k' })))).toEqual({
      code: 'SlowDown',
      status: 503,
    });
    await emulator.admin.clearFaults();
    await failureOf(s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'k' })));
    const stats = await emulator.admin.stats({ account: OWNER, region: REGION });
    expect(stats.operations.GetObject).toEqual({ calls: 2, ok: 0, errors: { SlowDown: 1, NoSuchKey: 1 } });
    expect(stats.operations.CreateBucket).toEqual({ calls: 1, ok: 1, errors: {} });
  });

  it('creates the buckets of the `buckets` option, and makes them again (empty) on reset', async () => {
    const seeded = await startTestEmulator({
      accounts: { 'owner-key': OWNER },
      buckets: [{ name: 'seeded-bucket', account: OWNER, region: REGION }],
    });
    const client = s3Client(seeded.url);
    try {
      await client.send(new PutObjectCommand({ Bucket: 'seeded-bucket', Key: 'k', Body: 'x' }));
      await seeded.admin.reset();
      expect(
        await failureOf(client.send(new GetObjectCommand({ Bucket: 'seeded-bucket', Key: 'k' }))),
      ).toEqual({
        code: 'NoSuchKey',
        status: 404,
      });
    } finally {
      client.destroy();
      await seeded.stop();
    }
  });
});

/** The S3 side of a scope's items: the writer the scope function hands a Distributed Map, and the result reader. */
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createResultReader, createScopeItemWriter, type ScopeItem } from '../../lib/scope-items.ts';

const s3 = mockClient(S3Client);
const items: ScopeItem[] = [
  { accountId: '111111111111', region: 'eu-west-1', roleName: 'EcrImmutabilityGuardMember' },
  { accountId: '222222222222', region: 'us-east-1', roleName: 'EcrImmutabilityGuardMember' },
];

describe('the scope item writer', () => {
  beforeEach(() => s3.reset());

  it('puts the items as one JSON object, typed application/json', async () => {
    s3.on(PutObjectCommand).resolves({});
    await createScopeItemWriter(new S3Client({ region: 'eu-west-1' })).write(
      'guard-scope',
      'run/items.json',
      items,
    );
    expect(s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input)).toEqual([
      {
        Bucket: 'guard-scope',
        Key: 'run/items.json',
        Body: JSON.stringify(items),
        ContentType: 'application/json',
      },
    ]);
  });

  it('translates an S3 error into an AwsCallError naming PutObject, without retrying a permanent one', async () => {
    s3.on(PutObjectCommand).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));
    await expect(
      createScopeItemWriter(new S3Client({ region: 'eu-west-1' })).write(
        'guard-scope',
        'run/items.json',
        items,
      ),
    ).rejects.toMatchObject({
      name: 'AwsCallError',
      service: 's3',
      operation: 'PutObject',
      code: 'AccessDenied',
    });
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(1);
  });
});

describe('the result reader', () => {
  beforeEach(() => s3.reset());

  it('reads an object without a body as empty text', async () => {
    s3.on(GetObjectCommand).resolves({});
    expect(
      await createResultReader(new S3Client({ region: 'eu-west-1' })).read('guard-results', 'k.json'),
    ).toBe('');
  });
});

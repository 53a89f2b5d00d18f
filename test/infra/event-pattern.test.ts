/**
 * The test matcher against the examples of the EventBridge user guide ("Content filtering in
 * Amazon EventBridge event patterns", "Matching null values and empty strings", "Arrays in
 * EventBridge event patterns") and of Event Ruler's README ($or), so the rule-pattern tests rest
 * on the documented semantics rather than on our reading of them.
 */
import { describe, expect, it } from 'vitest';
import { matchesEventPattern } from './event-pattern.ts';

/** The README's sample EC2 event, reused by several documented examples. */
const ec2Event = {
  version: '0',
  id: 'ddddd4-aaaa-7777-4444-345dd43cc333',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '012345679012',
  time: '2017-10-02T16:24:49Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000'],
  detail: {
    'c-count': 5,
    'd-count': 3,
    'x-limit': 301.8,
    'source-ip': '10.0.0.33',
    'instance-id': 'i-000000aaaaaa00000',
    state: 'running',
  },
};

describe('the EventBridge pattern matcher used by the infra tests', () => {
  it.each([
    ['exact values, one of several allowed', { detail: { state: ['initializing', 'running'] } }, true],
    [
      'exact values with an array field (intersection)',
      { resources: [ec2Event.resources[0], 'arn:other'] },
      true,
    ],
    ['an exact value that differs', { detail: { state: ['stopped'] } }, false],
    ['a field the event lacks', { detail: { missing: ['x'] } }, false],
    ['prefix on the time field', { time: [{ prefix: '2017-10-02' }] }, true],
    ['prefix that does not match', { time: [{ prefix: '2018' }] }, false],
    ['suffix', { source: [{ suffix: 'ec2' }] }, true],
    ['equals-ignore-case', { source: [{ 'equals-ignore-case': 'AWS.EC2' }] }, true],
    ['anything-but a string', { detail: { state: [{ 'anything-but': 'initializing' }] } }, true],
    ['anything-but the value present', { detail: { state: [{ 'anything-but': 'running' }] } }, false],
    ['anything-but a number', { detail: { 'x-limit': [{ 'anything-but': 123 }] } }, true],
    [
      'anything-but a list of strings',
      { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } },
      true,
    ],
    [
      'anything-but a list of numbers',
      { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } },
      true,
    ],
    ['anything-but a prefix', { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } }, true],
    [
      'anything-but a prefix of the value',
      { detail: { state: [{ 'anything-but': { prefix: 'run' } }] } },
      false,
    ],
    ['anything-but the aws. source prefix', { source: [{ 'anything-but': { prefix: 'aws.' } }] }, false],
    ['anything-but on a missing field', { detail: { missing: [{ 'anything-but': 'x' }] } }, false],
    ['exists: true on a present leaf', { detail: { 'c-count': [{ exists: true }] } }, true],
    ['exists: false on a present leaf', { detail: { 'c-count': [{ exists: false }] } }, false],
    ['exists: false on a missing leaf', { detail: { description: [{ exists: false }] } }, true],
  ])('matches the README event: %s', (_name, pattern, expected) => {
    expect(matchesEventPattern(pattern, structuredClone(ec2Event))).toBe(expected);
  });

  it('matches Auto Scaling events from European regions (prefix example)', () => {
    const pattern = { source: ['aws.autoscaling'], region: [{ prefix: 'eu-' }] };
    expect(matchesEventPattern(pattern, { source: 'aws.autoscaling', region: 'eu-west-1' })).toBe(true);
    expect(matchesEventPattern(pattern, { source: 'aws.autoscaling', region: 'us-east-1' })).toBe(false);
  });

  it('treats an object as a non-leaf: exists false matches it (the guide example)', () => {
    const pattern = { detail: { 'c-count': [{ exists: false }] } };
    expect(matchesEventPattern(pattern, { detail: { state: ['initializing', 'running'] } })).toBe(true);
    expect(
      matchesEventPattern(pattern, {
        detail: { state: ['initializing', 'running'], 'c-count': { c1: 100 } },
      }),
    ).toBe(true);
  });

  it('tells null from the empty string (the guide example)', () => {
    const event = {
      version: '0',
      id: '3e3c153a-8339-4e30-8c35-687ebef853fe',
      'detail-type': 'EC2 Instance Launch Successful',
      source: 'aws.autoscaling',
      account: '123456789012',
      time: '2015-11-11T21:31:47Z',
      region: 'us-east-1',
      resources: [],
      detail: { eventVersion: '', responseElements: null },
    };
    expect(matchesEventPattern({ detail: { eventVersion: [''] } }, event)).toBe(true);
    expect(matchesEventPattern({ detail: { responseElements: [null] } }, event)).toBe(true);
    expect(matchesEventPattern({ detail: { responseElements: [''] } }, event)).toBe(false);
    expect(matchesEventPattern({ detail: { eventVersion: [null] } }, event)).toBe(false);
  });

  it('counts a null value as present: exists true and anything-but match it', () => {
    const event = { detail: { command: null } };
    expect(matchesEventPattern({ detail: { command: [{ exists: true }] } }, event)).toBe(true);
    expect(matchesEventPattern({ detail: { command: [{ exists: false }] } }, event)).toBe(false);
    expect(matchesEventPattern({ detail: { command: [{ 'anything-but': ['no-message'] }] } }, event)).toBe(
      true,
    );
  });

  it('matches a field below a null parent as missing', () => {
    const event = { detail: { requestParameters: null } };
    expect(matchesEventPattern({ detail: { requestParameters: { x: [{ exists: false }] } } }, event)).toBe(
      true,
    );
    expect(
      matchesEventPattern({ detail: { requestParameters: { x: [{ 'anything-but': 'y' }] } } }, event),
    ).toBe(false);
  });

  it('matches arrays when the pattern and event arrays intersect (the guide example)', () => {
    const pattern = {
      resources: [
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
        'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
        'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f',
      ],
    };
    const event = {
      resources: [
        'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate',
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
      ],
    };
    expect(matchesEventPattern(pattern, event)).toBe(true);
    expect(
      matchesEventPattern(pattern, { resources: ['arn:aws:ec2:us-east-1:999999999999:instance/i-1'] }),
    ).toBe(false);
  });

  it('crushes arrays of objects into their fields (Event Ruler README)', () => {
    const event = {
      employees: [
        { firstName: 'John', lastName: 'Doe' },
        { firstName: 'Anna', lastName: 'Smith' },
        { firstName: 'Peter', lastName: 'Jones' },
      ],
    };
    expect(matchesEventPattern({ employees: { firstName: ['Anna'] } }, event)).toBe(true);
    expect(matchesEventPattern({ employees: { firstName: ['Maria'] } }, event)).toBe(false);
  });

  describe('$or (Event Ruler README examples)', () => {
    const normalOr = {
      source: ['aws.cloudwatch'],
      $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2', 'AWS/ES'] }],
    };
    const nestedOr = {
      source: ['aws.cloudwatch'],
      $or: [
        { metricName: ['CPUUtilization', 'ReadLatency'] },
        {
          metricType: ['MetricType'],
          namespace: ['AWS/EC2', 'AWS/ES'],
          $or: [{ metricId: [1234] }, { spaceId: [1000] }],
        },
        { scope: ['Service'] },
      ],
    };

    it.each([
      ['either branch: the first', normalOr, { source: 'aws.cloudwatch', metricName: 'ReadLatency' }, true],
      ['either branch: the second', normalOr, { source: 'aws.cloudwatch', namespace: 'AWS/ES' }, true],
      ['no branch', normalOr, { source: 'aws.cloudwatch', namespace: 'AWS/S3' }, false],
      [
        'a branch but not the sibling field',
        normalOr,
        { source: 'aws.ec2', metricName: 'ReadLatency' },
        false,
      ],
      [
        'an inner AND with a nested $or',
        nestedOr,
        { source: 'aws.cloudwatch', metricType: 'MetricType', namespace: 'AWS/EC2', spaceId: 1000 },
        true,
      ],
      [
        'the inner AND without the nested $or',
        nestedOr,
        { source: 'aws.cloudwatch', metricType: 'MetricType', namespace: 'AWS/EC2', metricId: 1 },
        false,
      ],
      ['the last branch', nestedOr, { source: 'aws.cloudwatch', scope: 'Service' }, true],
    ])('%s', (_name, pattern, event, expected) => {
      expect(matchesEventPattern(pattern, event)).toBe(expected);
    });

    it('applies parallel $or at different levels together', () => {
      const pattern = {
        $or: [{ metricName: ['CPUUtilization'] }, { namespace: ['AWS/EC2'] }],
        detail: {
          $or: [{ source: ['aws.cloudwatch'] }, { 'detail-type': ['CloudWatch Alarm State Change'] }],
        },
      };
      expect(
        matchesEventPattern(pattern, { namespace: 'AWS/EC2', detail: { source: 'aws.cloudwatch' } }),
      ).toBe(true);
      expect(matchesEventPattern(pattern, { namespace: 'AWS/EC2', detail: { source: 'aws.s3' } })).toBe(
        false,
      );
    });
  });

  it('refuses operators it does not implement instead of guessing', () => {
    expect(() => matchesEventPattern({ detail: { 'c-count': [{ numeric: ['>', 0] }] } }, ec2Event)).toThrow(
      /numeric is not supported/,
    );
    expect(() =>
      matchesEventPattern({ detail: { 'source-ip': [{ cidr: '10.0.0.0/24' }] } }, ec2Event),
    ).toThrow(/cidr is not supported/);
  });
});

/** Amazon EventBridge `PutEvents` (`AWSEvents`, AWS JSON 1.1) as a service of the emulator core. */
import { AwsError } from '../core/errors.ts';
import type { JsonService } from '../core/service.ts';
import { type EventSink, putEvents } from './events.ts';

export function eventsService(sink: EventSink): JsonService {
  return {
    name: 'events',
    title: 'EventBridge',
    protocol: 'json',
    targetPrefix: 'AWSEvents.',
    operations: ['PutEvents'],
    run({ caller, input, nowMs }) {
      return putEvents({ account: caller.account, region: caller.region, sink, nowMs }, input);
    },
    faultError(fault, { operation, caller }) {
      if (fault === 'throttle') return new AwsError('ThrottlingException', 'Rate exceeded');
      // EventBridge's own 5xx code is InternalException.
      if (fault === 'server-error')
        return new AwsError('InternalException', 'Injected server fault (emulator)', 500);
      return new AwsError(
        'AccessDeniedException',
        `User: ${caller.arn} is not authorized to perform: events:${operation} (injected by the emulator)`,
      );
    },
  };
}

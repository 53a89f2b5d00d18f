/**
 * Amazon EventBridge (`AWSEvents`, AWS JSON 1.1) as a service of the emulator core: the PutEvents sink and the
 * rules of the default bus, per account and region.
 */
import { AwsError } from '../core/errors.ts';
import type { PageTokens } from '../core/page-token.ts';
import type { JsonService } from '../core/service.ts';
import { type EventSink, putEvents } from './events.ts';
import {
  deleteRule,
  describeRule,
  listTargetsByRule,
  putRule,
  putTargets,
  type RuleStore,
  removeTargets,
  setRuleState,
} from './rules.ts';

export const EVENTS_OPERATIONS = [
  'PutEvents',
  'PutRule',
  'DescribeRule',
  'EnableRule',
  'DisableRule',
  'DeleteRule',
  'PutTargets',
  'ListTargetsByRule',
  'RemoveTargets',
] as const;

/** What the EventBridge service runs against. */
export interface EventsServiceState {
  readonly sink: EventSink;
  readonly rules: RuleStore;
  readonly tokens: PageTokens;
}

export function eventsService(state: EventsServiceState): JsonService {
  return {
    name: 'events',
    title: 'EventBridge',
    protocol: 'json',
    targetPrefix: 'AWSEvents.',
    operations: EVENTS_OPERATIONS,
    run({ operation, caller, input, nowMs }) {
      const rules = {
        rules: state.rules,
        tokens: state.tokens,
        account: caller.account,
        region: caller.region,
      };
      switch (operation) {
        case 'PutRule':
          return putRule(rules, input);
        case 'DescribeRule':
          return describeRule(rules, input);
        case 'EnableRule':
          return setRuleState(rules, input, 'ENABLED');
        case 'DisableRule':
          return setRuleState(rules, input, 'DISABLED');
        case 'DeleteRule':
          return deleteRule(rules, input);
        case 'PutTargets':
          return putTargets(rules, input);
        case 'ListTargetsByRule':
          return listTargetsByRule(rules, input);
        case 'RemoveTargets':
          return removeTargets(rules, input);
        default:
          return putEvents(
            { account: caller.account, region: caller.region, sink: state.sink, nowMs },
            input,
          );
      }
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

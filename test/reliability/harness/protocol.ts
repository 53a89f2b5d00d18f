/** The messages between ./lambda.ts (the test) and ./lambda-child.ts (one Lambda container). */

/** How the invocation's context reports the time left. */
export type ContextPlan =
  /** A real deadline this many milliseconds after the invocation starts. */
  | { readonly remainingMs: number }
  /** `remainingMs` for the first `budgetCalls` calls of getRemainingTimeInMillis, then `thenMs`. */
  | { readonly remainingMs: number; readonly budgetCalls: number; readonly thenMs: number };

export interface InvokeMessage {
  readonly id: number;
  readonly event: unknown;
  readonly context: ContextPlan;
  readonly invokedFunctionArn: string;
}

export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly retryable?: boolean;
  readonly issues?: readonly string[];
}

export type ResultMessage =
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly id: number; readonly ok: false; readonly error: SerializedError };

/** Written to stdout and stderr after each invocation. */
export const MARKER = '\u0001invocation-done:';

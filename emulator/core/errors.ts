/**
 * An error the emulator sends on the wire the way AWS JSON 1.1 services do:
 * HTTP `status` with the body `{"__type": code, "message": message}`.
 *
 * The SDK takes the exception `name` from `__type`, so `code` must be the exact AWS error code.
 * @see https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html#operation-error-serialization
 */
export class AwsError extends Error {
  /** AWS error code, e.g. `RepositoryNotFoundException`. */
  readonly code: string;
  /** HTTP status code sent with the error. */
  readonly status: number;
  /** Extra members of the error body, e.g. Organizations' `Reason`. */
  readonly fields: Readonly<Record<string, string>>;

  constructor(code: string, message: string, status = 400, fields: Readonly<Record<string, string>> = {}) {
    super(message);
    this.name = code;
    this.code = code;
    this.status = status;
    this.fields = fields;
  }
}

/** ECR's wording for a request member that breaks a modelled constraint. */
export function invalidParameter(field: string, constraint: string): AwsError {
  return new AwsError(
    'InvalidParameterException',
    `Invalid parameter at '${field}' failed to satisfy constraint: '${constraint}'`,
  );
}

/** The request is not valid JSON, or a member has the wrong JSON type (what Coral reports as a serialization failure). */
export function serializationError(message: string): AwsError {
  return new AwsError('SerializationException', message);
}

/** A bad request to an `/_emulator/*` control route (answered 400 with `{"error": message}`). */
export class AdminRequestError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AdminRequestError';
  }
}

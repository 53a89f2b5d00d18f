/**
 * Wire helpers for the two AWS protocols the emulator speaks: AWS JSON 1.1 (ECR, EventBridge, Organizations)
 * and the AWS Query protocol with XML responses (STS).
 * @see https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html
 * @see https://smithy.io/2.0/aws/protocols/aws-query-protocol.html
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type AwsError, serializationError } from './errors.ts';
import { isJsonObject, type JsonObject } from './validate.ts';

export const JSON_11 = 'application/x-amz-json-1.1';
export const FORM = 'application/x-www-form-urlencoded';

/** A request body read with a size cap. */
export interface Body {
  readonly bytes: Buffer;
  readonly tooLarge: boolean;
}

/** Reads a request body, keeping at most `maxBytes`; the rest is drained so the client still gets an answer. */
export function readBody(request: IncomingMessage, maxBytes: number): Promise<Body> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
    });
    request.on('end', () => resolve({ bytes: Buffer.concat(chunks), tooLarge: size > maxBytes }));
    request.on('error', reject);
  });
}

/** Sends a text body with the request id header AWS services set. */
export function sendText(
  response: ServerResponse,
  status: number,
  text: string,
  contentType: string,
  requestId: string = randomUUID(),
): void {
  if (response.destroyed || response.headersSent) return;
  response.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': requestId,
  });
  response.end(text);
}

export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  contentType = JSON_11,
): void {
  sendText(response, status, JSON.stringify(body), contentType);
}

/** An AWS JSON 1.1 error body: `{"__type": code, "message": …}` plus any extra members (e.g. `Reason`). */
export function jsonErrorBody(error: AwsError): JsonObject {
  return { __type: error.code, message: error.message, ...error.fields };
}

/** Decodes an AWS JSON 1.1 request body; an empty body is `{}`. */
export function parseJsonBody(bytes: Buffer): JsonObject {
  if (bytes.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw serializationError(
      `The request body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (!isJsonObject(value)) throw serializationError('The request body must be a JSON object');
  return value;
}

/** Decodes a Query protocol body (`Action=…&Version=…&Member=…`) into flat string members. */
export function parseFormBody(bytes: Buffer): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(bytes.toString('utf8')));
}

/** Escapes text for an XML element or attribute (the Query protocol's and S3's bodies). */
export function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}

/** Serialises a value as Query protocol XML: members are elements, lists are `<member>` elements. */
export function toXml(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map((item) => `<member>${toXml(item)}</member>`).join('');
  if (isJsonObject(value)) {
    return Object.entries(value)
      .filter(([, member]) => member !== undefined)
      .map(([name, member]) => `<${name}>${toXml(member)}</${name}>`)
      .join('');
  }
  return escapeXml(String(value));
}

/** `<{Operation}Response><{Operation}Result>…</…Result><ResponseMetadata>…</…></…Response>`. */
export function queryResponse(operation: string, namespace: string, result: JsonObject): string {
  return (
    `<${operation}Response xmlns="${namespace}">` +
    `<${operation}Result>${toXml(result)}</${operation}Result>` +
    `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata>` +
    `</${operation}Response>`
  );
}

// The Query protocol's spelling of the common errors (AWS JSON services add `Exception`).
const QUERY_CODES: Readonly<Record<string, string>> = {
  MissingAuthenticationTokenException: 'MissingAuthenticationToken',
  ExpiredTokenException: 'ExpiredToken',
  UnrecognizedClientException: 'InvalidClientTokenId',
  IncompleteSignatureException: 'IncompleteSignature',
  RequestEntityTooLargeException: 'RequestEntityTooLarge',
};

/** The Query protocol error document, as the SDK's awsQuery deserializer reads it. */
export function queryErrorBody(error: AwsError, namespace: string): string {
  const code = QUERY_CODES[error.code] ?? error.code;
  return (
    `<ErrorResponse xmlns="${namespace}"><Error>` +
    `<Type>${error.status >= 500 ? 'Receiver' : 'Sender'}</Type>` +
    `<Code>${escapeXml(code)}</Code><Message>${escapeXml(error.message)}</Message>` +
    `</Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`
  );
}

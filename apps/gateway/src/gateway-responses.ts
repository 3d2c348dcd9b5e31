import type { ServerResponse } from 'node:http';

/**
 * API Gateway's default gateway responses, as a REST API answers them: a JSON `{"message": …}` body and
 * the error type in `x-amzn-ErrorType`. Messages are the ones API Gateway sends (see the report notes).
 */
export interface GatewayError {
  status: number;
  /** `x-amzn-ErrorType`; absent where API Gateway sends none. */
  errorType?: string;
  message: string;
}

export const GATEWAY_ERRORS = {
  /** Unknown resource, unknown method on a known resource, or an unsigned call to an IAM route. */
  missingAuthenticationToken: {
    status: 403,
    errorType: 'MissingAuthenticationTokenException',
    message: 'Missing Authentication Token',
  },
  invalidSignature: {
    status: 403,
    errorType: 'InvalidSignatureException',
    message:
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
  },
  unrecognizedClient: {
    status: 403,
    errorType: 'UnrecognizedClientException',
    message: 'The security token included in the request is invalid.',
  },
  requestTooLarge: { status: 413, errorType: 'RequestTooLongException', message: 'Request Too Long' },
  headersTooLarge: {
    status: 431,
    errorType: 'RequestHeaderFieldsTooLargeException',
    message: 'Request Header Fields Too Large',
  },
  integrationTimeout: {
    status: 504,
    errorType: 'InternalServerErrorException',
    message: 'Endpoint request timed out',
  },
  internalServerError: {
    status: 500,
    errorType: 'InternalServerErrorException',
    message: 'Internal server error',
  },
} as const satisfies Record<string, GatewayError>;

export function incompleteSignature(message: string): GatewayError {
  return { status: 403, errorType: 'IncompleteSignatureException', message };
}

export function signatureExpired(message: string): GatewayError {
  return { status: 403, errorType: 'InvalidSignatureException', message };
}

export function badRequestParameters(names: string[]): GatewayError {
  return {
    status: 400,
    errorType: 'BadRequestException',
    message: `Invalid request parameters: [${names.join(', ')}]`,
  };
}

export function gatewayErrorBody(error: GatewayError): string {
  return JSON.stringify({ message: error.message });
}

/** Writes a gateway response; extra headers (request id, trace header) are the caller's. */
export function sendGatewayError(
  res: ServerResponse,
  error: GatewayError,
  headers: Record<string, string>,
): void {
  const body = gatewayErrorBody(error);
  res.writeHead(error.status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...(error.errorType ? { 'x-amzn-errortype': error.errorType } : {}),
  });
  res.end(body);
}

/** The raw bytes of a gateway response, for a socket the HTTP parser has already given up on. */
export function rawGatewayError(error: GatewayError, reason: string): string {
  const body = gatewayErrorBody(error);
  return [
    `HTTP/1.1 ${error.status} ${reason}`,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...(error.errorType ? [`x-amzn-ErrorType: ${error.errorType}`] : []),
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

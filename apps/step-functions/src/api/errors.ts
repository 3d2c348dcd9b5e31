/** An error as the Step Functions JSON 1.0 API answers it: HTTP 400 and `{"__type", "message"}`. */
export class SfnApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = type;
  }

  body(): { __type: string; message?: string } {
    // AWS prefixes the shape's namespace; the SDKs and the CLI read what follows '#'.
    return { __type: `com.amazonaws.swf.service.v2.model#${this.type}`, message: this.message };
  }
}

/**
 * An `X-Amz-Target` naming no operation of the service. AWS's request framework (Coral) answers it before
 * the service sees it: HTTP 400 and only `{"__type":"com.amazon.coral.service#UnknownOperationException"}`,
 * no message (as reported from real endpoints in aws/aws-sdk-go#3689, aws/aws-sdk-net#1536 and
 * mhart/kinesalite#95).
 */
export class UnknownOperationError extends SfnApiError {
  constructor(target: string) {
    super('UnknownOperationException', `Unknown operation ${target}`);
  }

  override body(): { __type: string } {
    return { __type: 'com.amazon.coral.service#UnknownOperationException' };
  }
}

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

  body(): { __type: string; message: string } {
    // AWS prefixes the shape's namespace; the SDKs and the CLI read what follows '#'.
    return { __type: `com.amazonaws.swf.service.v2.model#${this.type}`, message: this.message };
  }
}

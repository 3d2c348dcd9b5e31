/**
 * An error the X-Ray API answers with, in AWS's REST-JSON style: the type in `x-amzn-ErrorType` (which
 * the AWS SDKs and CLI read to name the exception) and `{"message": …}` in the body.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = type;
  }
}

export const invalidRequest = (message: string) => new ApiError(400, 'InvalidRequestException', message);

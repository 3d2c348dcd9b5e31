/**
 * An error as Step Functions names it: `Error` (e.g. `ApiGateway.404`, `States.Timeout`) and `Cause`, the
 * pair that Retry/Catch match on and that a FAILED execution reports.
 */
export class StatesError extends Error {
  constructor(
    readonly error: string,
    readonly causeText: string,
  ) {
    super(`${error}: ${causeText}`);
    this.name = 'StatesError';
  }
}

/** Runtime errors are not retried nor caught, even by States.ALL (ASL spec, "Errors"). */
export const runtimeError = (cause: string) => new StatesError('States.Runtime', cause);

export function asStatesError(err: unknown): StatesError {
  if (err instanceof StatesError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new StatesError('States.TaskFailed', message);
}

/**
 * The only error `parseFilter`/`compileFilter` throw for bad input. `position` is the 0-based character
 * offset in the expression where the problem was found, so an API can point at it (GetTraceSummaries
 * answers `InvalidRequestException` with this message).
 */
export class FilterSyntaxError extends Error {
  override readonly name = 'FilterSyntaxError';
  readonly position: number;

  constructor(position: number, message: string) {
    super(message);
    this.position = position;
  }
}

// One error type for everything a user can cause. The code is stable (CLI JSON, API envelope);
// the message says what happened and what to do.
export class VisageError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'VisageError';
  }
}

export function isVisageError(e: unknown): e is VisageError {
  return e instanceof VisageError;
}

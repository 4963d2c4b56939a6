// An error a handler throws to answer with a problem document (RFC 9457). Anything else
// thrown becomes a 500 whose detail never includes the message or stack.

export class HttpError extends Error {
  override readonly name = 'HttpError';

  constructor(
    readonly status: number,
    readonly detail: string,
    /** Extra response headers as a flat [name, value, ...] list (e.g. Allow). */
    readonly headers: readonly string[] = [],
  ) {
    super(detail);
  }
}

export function badRequest(detail: string): HttpError {
  return new HttpError(400, detail);
}

/** What an unknown path gets; also what hidden paths answer, so the two cannot be told apart. */
export function notFound(): HttpError {
  return new HttpError(404, 'no such resource');
}

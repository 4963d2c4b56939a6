// An error a handler throws to answer with a problem document (RFC 9457). Anything else
// thrown becomes a 500 whose detail never includes the message or stack.

/** Where a request input comes from. */
export type InputLocation = 'path' | 'query';

/** What an input can get wrong (http/validation/fields.ts checks them). */
export type InputRule = 'type' | 'min' | 'max' | 'pattern' | 'enum' | 'required' | 'repeated' | 'unknown' | 'encoding';

/** One entry of a 400's `errors` member (RFC 9457 section 3.2 extension style): the input
 *  that is wrong, the rule it broke, and what would be right. */
export interface InvalidInput {
  readonly detail: string;
  readonly in: InputLocation;
  readonly name: string;
  readonly rule: InputRule;
}

export class HttpError extends Error {
  override readonly name = 'HttpError';

  constructor(
    readonly status: number,
    readonly detail: string,
    /** Extra response headers as a flat [name, value, ...] list (e.g. Allow). */
    readonly headers: readonly string[] = [],
    /** The problem document's `errors` member: every bad input, when they are known. */
    readonly errors: readonly InvalidInput[] | undefined = undefined,
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

// The one 400 every bad request input gets: a problem document whose `errors` member names
// each bad input and the rule it broke, and whose detail sentence reads the first of them.
import { HttpError, type InputLocation, type InputRule, type InvalidInput } from '../http-error.js';

/** Client text echoed back is cut here: a name or value can be as long as the URL. */
const ECHO_MAX = 64;

/** Bad inputs listed one by one at most: a 16 KB query of broken parts must not get a
 *  400 hundreds of KB long. The rest are counted in the detail. */
const LISTED_MAX = 20;

/** Collects the bad inputs of one request, so all of them are reported at once. */
export class InputErrors {
  private readonly list: InvalidInput[] = [];
  private first = '';
  private total = 0;

  get count(): number {
    return this.total;
  }

  /** `detail` says what would be right ("must be ..."); `got` is what the client sent. */
  add(where: InputLocation, name: string, rule: InputRule, detail: string, got?: string): void {
    const shown = name.length > ECHO_MAX ? name.slice(0, ECHO_MAX) : name;
    if (this.list.length === 0) {
      this.first = `${where} parameter "${shown}" ${detail}` + (got === undefined ? '' : `, got "${got.slice(0, ECHO_MAX)}"`);
    }
    this.total++;
    if (this.list.length < LISTED_MAX) this.list.push({ detail, in: where, name: shown, rule });
  }

  toError(): HttpError {
    const more = this.total - 1;
    const detail =
      more === 0 ? this.first
      : this.total <= LISTED_MAX ? `${this.first} (and ${more} more: see errors)`
      : `${this.first} (and ${more} more: the first ${LISTED_MAX} in errors)`;
    return new HttpError(400, detail, [], this.list);
  }
}

/** The 400 for a single bad input. */
export function invalidInput(where: InputLocation, name: string, rule: InputRule, detail: string, got?: string): HttpError {
  const errors = new InputErrors();
  errors.add(where, name, rule, detail, got);
  return errors.toError();
}

/** What a part of a path or query that cannot be percent-decoded is told. */
export const ENCODING_DETAIL = 'must be valid percent-encoded UTF-8';

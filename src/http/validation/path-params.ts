// A route's path parameters, declared with its pattern:
//   const productPath = pathParams('/products/{id}', { id: int({ max: MAX_WHOLE }) });
//   router.add('GET', productPath.pattern, (ctx) => { const id = productPath.params.id.read(ctx); ... });
// Each parameter gets its own reader, which checks one segment and returns its value:
// no object per request, so a route on the hot path pays for the check and nothing else.
import type { RequestContext } from '../context.js';
import { Broken, type AnyField, type Field, type ValueType } from './fields.js';
import { invalidInput } from './invalid.js';

export class PathParam<T> {
  private readonly detail: string;

  constructor(
    readonly name: string,
    /** Its place among the pattern's parameters, i.e. in ctx.params. */
    private readonly index: number,
    private readonly type: ValueType<T>,
  ) {
    this.detail = 'must be ' + type.expected;
  }

  /** The segment as sent (percent-decoded), unchecked: e.g. a cache key that needs no new string. */
  text(ctx: Pick<RequestContext, 'params'>): string {
    return ctx.params[this.index] ?? '';
  }

  /** The parameter's value, or a 400 HttpError naming it. */
  read(ctx: Pick<RequestContext, 'params'>): T {
    const raw = ctx.params[this.index] ?? '';
    const value = this.type.read(raw);
    if (value instanceof Broken) throw invalidInput('path', this.name, value.rule, this.detail, raw);
    return value;
  }
}

export type PathFields = Readonly<Record<string, AnyField>>;

export interface PathSchema<F extends PathFields> {
  /** The pattern to register the route with. */
  readonly pattern: string;
  readonly params: { readonly [K in keyof F]: PathParam<F[K] extends Field<infer T, unknown> ? T : never> };
}

/** Declares the parameters of `pattern`; every `{name}` in it must have a field, and no
 *  other (checked at startup). A path parameter is always present, once: its field can
 *  have neither a default nor repeats. */
export function pathParams<const F extends PathFields>(pattern: string, fields: F): PathSchema<F> {
  const inPattern = [...pattern.matchAll(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]!);
  const declared = Object.keys(fields);
  if (inPattern.length !== declared.length || declared.some((name) => !inPattern.includes(name))) {
    throw new Error(`pathParams(${pattern}): fields {${declared.join(', ')}} must be the pattern's parameters {${inPattern.join(', ')}}`);
  }
  const params: Record<string, PathParam<unknown>> = {};
  for (const name of declared) {
    const field = fields[name]!;
    if (field.repeated || field.hasDefault) throw new Error(`pathParams(${pattern}): {${name}} can have neither a default nor repeats`);
    params[name] = new PathParam(name, inPattern.indexOf(name), field.type);
  }
  // The one place the readers meet their declared types: one per field, of its type.
  return { pattern, params: params as PathSchema<F>['params'] };
}

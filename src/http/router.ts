// A hand-written router compiled once at startup: a segment tree where a static segment
// beats a parameter (with backtracking), fully static paths answered by one Map lookup,
// 405 with Allow for a known path and the wrong method, HEAD served by GET routes.
import type { RequestContext } from './context.js';
import { percentDecode } from './query.js';
import { ENCODING_DETAIL, invalidInput } from './validation/invalid.js';

/** Synchronous handlers return nothing; asynchronous ones return their promise. */
export type Handler = (ctx: RequestContext) => void | Promise<void>;

export interface Route {
  readonly method: string;
  /** The pattern as registered, e.g. `/products/{id}`: the bounded label for metrics. */
  readonly pattern: string;
  readonly handler: Handler;
  /** Dense index, so per-route counters can live in an array. */
  readonly index: number;
}

export type RouteMatch =
  | { readonly kind: 'found'; readonly route: Route; readonly params: readonly string[] }
  | { readonly kind: 'wrong-method'; readonly allow: string }
  | { readonly kind: 'not-found' };

/** Up to this many static children are matched by comparing in place (no slice, no
 *  hashing); a node with more uses its Map. */
const SCAN_LIMIT = 8;

class TreeNode {
  readonly statics = new Map<string, TreeNode>();
  /** The same children as parallel arrays, for the in-place scan. */
  readonly staticNames: string[] = [];
  readonly staticNodes: TreeNode[] = [];
  param: TreeNode | undefined;
  paramName = '';
  /** The names of the parameters on the way here, in order (for a 400 naming one). */
  paramNames: readonly string[] = [];
  readonly methods = new Map<string, Route>();
  allow = '';
}

const NOT_FOUND: RouteMatch = { kind: 'not-found' };
/** A route without parameters: one shared empty list. */
export const NO_PARAMS: readonly string[] = Object.freeze([]);

export class Router {
  private readonly root = new TreeNode();
  /** Exact-path lookups for patterns without parameters. */
  private readonly staticPaths = new Map<string, TreeNode>();
  private readonly list: Route[] = [];

  get routes(): readonly Route[] {
    return this.list;
  }

  /** Every method some route answers, as an Allow value (for `OPTIONS *`). */
  get allow(): string {
    const methods = new Set(['OPTIONS']);
    for (const route of this.list) {
      methods.add(route.method);
      if (route.method === 'GET') methods.add('HEAD');
    }
    return [...methods].sort().join(', ');
  }

  add(method: string, pattern: string, handler: Handler): this {
    if (!pattern.startsWith('/')) throw new Error(`route pattern must start with "/": ${pattern}`);
    let node = this.root;
    const paramNames: string[] = [];
    for (const segment of pattern.slice(1).split('/')) {
      const name = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(segment)?.[1];
      if (name !== undefined) {
        paramNames.push(name);
        if (node.param === undefined) {
          node.param = new TreeNode();
          node.paramName = name;
        } else if (node.paramName !== name) {
          throw new Error(`route ${pattern}: parameter {${name}} conflicts with {${node.paramName}}`);
        }
        node = node.param;
      } else {
        if (/[{}]/.test(segment)) throw new Error(`route ${pattern}: malformed segment "${segment}"`);
        let child = node.statics.get(segment);
        if (child === undefined) {
          child = new TreeNode();
          node.statics.set(segment, child);
          node.staticNames.push(segment);
          node.staticNodes.push(child);
        }
        node = child;
      }
    }
    const upper = method.toUpperCase();
    if (node.methods.has(upper)) throw new Error(`route ${upper} ${pattern} registered twice`);
    const route: Route = { method: upper, pattern, handler, index: this.list.length };
    this.list.push(route);
    node.methods.set(upper, route);
    node.paramNames = paramNames;
    const methods = new Set(node.methods.keys());
    if (methods.has('GET')) methods.add('HEAD');
    methods.add('OPTIONS');
    node.allow = [...methods].sort().join(', ');
    if (paramNames.length === 0) this.staticPaths.set(pattern, node);
    return this;
  }

  /** Matches a raw (undecoded) path. Parameters come back percent-decoded; a malformed
   *  encoding throws the 400 HttpError naming the parameter. */
  find(method: string, path: string): RouteMatch {
    const exact = this.staticPaths.get(path);
    if (exact !== undefined) return this.resolve(exact, method, NO_PARAMS);
    if (path.charCodeAt(0) !== 47 /* / */) return NOT_FOUND;
    const params: string[] = [];
    const node = this.walk(this.root, path, 1, params);
    if (node === undefined) return NOT_FOUND;
    for (let i = 0; i < params.length; i++) {
      const decoded = percentDecode(params[i]!);
      if (decoded === undefined) throw invalidInput('path', node.paramNames[i] ?? '', 'encoding', ENCODING_DETAIL, params[i]);
      params[i] = decoded;
    }
    return this.resolve(node, method, params);
  }

  private resolve(node: TreeNode, method: string, params: readonly string[]): RouteMatch {
    const route = node.methods.get(method) ?? (method === 'HEAD' ? node.methods.get('GET') : undefined);
    if (route !== undefined) return { kind: 'found', route, params };
    return { kind: 'wrong-method', allow: node.allow };
  }

  /** Depth-first: the static child first, the parameter child if that path fails. */
  private walk(node: TreeNode, path: string, from: number, params: string[]): TreeNode | undefined {
    const slash = path.indexOf('/', from);
    const end = slash < 0 ? path.length : slash;
    const staticChild = staticChildAt(node, path, from, end);
    if (staticChild !== undefined) {
      const found = slash < 0 ? ownsRoutes(staticChild) : this.walk(staticChild, path, slash + 1, params);
      if (found !== undefined) return found;
    }
    if (node.param !== undefined && end > from) {
      params.push(path.slice(from, end));
      const found = slash < 0 ? ownsRoutes(node.param) : this.walk(node.param, path, slash + 1, params);
      if (found !== undefined) return found;
      params.pop();
    }
    return undefined;
  }
}

/** The static child named path[from, end), found without slicing when there are few. */
function staticChildAt(node: TreeNode, path: string, from: number, end: number): TreeNode | undefined {
  const names = node.staticNames;
  if (names.length > SCAN_LIMIT) return node.statics.get(path.slice(from, end));
  const length = end - from;
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    if (name.length === length && path.startsWith(name, from)) return node.staticNodes[i];
  }
  return undefined;
}

function ownsRoutes(node: TreeNode): TreeNode | undefined {
  return node.methods.size > 0 ? node : undefined;
}

// What the guards in front of the routes (load shedding, rate limiting) share: the paths
// they never refuse, and refusals made once and sent as they are.
import { encodeProblem, type Encoded } from '../http/encoded.js';

/** The probes and the scrape answer throughout: a load balancer or Prometheus must see an
 *  overloaded or limited server as it is, not lose sight of it. */
export function isProbePath(path: string): boolean {
  return path === '/healthz' || path === '/readyz' || path === '/metrics';
}

/** A problem document encoded once and never compressed: compressing a refusal would
 *  spend the CPU the refusal saves. */
export function refusal(status: number, detail: string): Encoded {
  return { ...encodeProblem(status, detail), compressible: false };
}

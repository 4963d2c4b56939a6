// --paired: which target is loaded beside which. A target is compared with its baseline:
// bare node:http for a single process, the bare node:http cluster for a cluster (the
// same number of workers on both sides). A baseline names itself and is not a target;
// turbina-base names turbina, for an A/B of two checkouts.
import { DEFAULT_BASELINE, type Target } from './targets.js';

export type Pairable = Pick<Target, 'name' | 'baseline'>;

export interface Pair<T extends Pairable> {
  readonly target: T;
  readonly base: T;
}

export function baselineOf(target: Pairable): string {
  return target.baseline ?? DEFAULT_BASELINE;
}

/** Every chosen target that is not a baseline, with its baseline; or why that cannot be
 *  (a baseline missing from the choice, or nothing to compare). */
export function planPairs<T extends Pairable>(chosen: readonly T[]): { readonly pairs: readonly Pair<T>[] } | { readonly error: string } {
  const pairs: Pair<T>[] = [];
  for (const target of chosen) {
    const baseName = baselineOf(target);
    if (baseName === target.name) continue;
    const base = chosen.find((t) => t.name === baseName);
    // A target chosen as another's baseline (turbina beside turbina-base) need not have its own.
    if (base === undefined && chosen.some((t) => t !== target && baselineOf(t) === target.name)) continue;
    if (base === undefined) return { error: `--paired compares ${target.name} with ${baseName}: include ${baseName} in --targets` };
    pairs.push({ target, base });
  }
  if (pairs.length === 0) return { error: `--paired needs a target beside its baseline (${chosen.map((t) => t.name).join(', ')} are baselines only)` };
  return { pairs };
}

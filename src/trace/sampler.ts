// Which traces are recorded, as OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG name it
// (OpenTelemetry SDK configuration). The ratio decision is read off the trace id, so every
// service holding the same ratio keeps or drops the same traces: the OpenTelemetry Go
// SDK's TraceIDRatioBased, bit for bit (the last 8 bytes of the id as an unsigned
// integer, shifted right by one, kept when below floor(ratio * 2^63)).

export const SAMPLER_NAMES = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;

export type SamplerName = (typeof SAMPLER_NAMES)[number];

export const DEFAULT_SAMPLER: SamplerName = 'parentbased_always_on';

const TWO_32 = 2 ** 32;

export class Sampler {
  /** What the sampler does, in the SDKs' words, for the listening line. */
  readonly description: string;
  /** The threshold on the trace id's last 8 bytes >> 1, as two 32-bit halves. */
  private readonly boundHigh: number;
  private readonly boundLow: number;

  /**
   * @param parentBased follow the caller's sampled flag when there is a caller
   * @param ratio the share of root traces kept, 0..1 (1 keeps all, 0 none)
   */
  constructor(
    readonly parentBased: boolean,
    readonly ratio: number,
    ratioNamed: boolean,
  ) {
    if (!(ratio >= 0 && ratio <= 1)) throw new RangeError(`ratio must be within 0..1, not ${ratio}`);
    // ratio * 2^63 is exact (a power-of-two scale); above 2^53 every double is whole.
    const bound = Math.floor(ratio * 2 ** 63);
    this.boundHigh = Math.floor(bound / TWO_32);
    this.boundLow = bound - this.boundHigh * TWO_32;
    const root = ratioNamed ? `TraceIdRatioBased{${ratio}}` : ratio === 1 ? 'AlwaysOnSampler' : 'AlwaysOffSampler';
    this.description = parentBased ? `ParentBased{root=${root}}` : root;
  }

  /**
   * Whether to record the trace.
   * @param parentSampled the incoming traceparent's sampled flag; undefined for a new trace
   * @param traceId 32 lowercase hex digits (as parsed or made; not checked again here)
   */
  sample(parentSampled: boolean | undefined, traceId: string): boolean {
    if (this.parentBased && parentSampled !== undefined) return parentSampled;
    if (this.ratio >= 1) return true;
    if (this.ratio <= 0) return false;
    // The id's last 16 hex digits as two 32-bit halves; then the 64-bit value >> 1. The high
    // half decides but once in 2^31 ids, so the low one is read only then.
    const high = hexToUint32(traceId, 16);
    const shiftedHigh = high >>> 1;
    if (shiftedHigh !== this.boundHigh) return shiftedHigh < this.boundHigh;
    const shiftedLow = (high & 1) * 2 ** 31 + (hexToUint32(traceId, 24) >>> 1);
    return shiftedLow < this.boundLow;
  }
}

/** text[start, start + 8) as an unsigned 32-bit number (lowercase hex assumed). */
function hexToUint32(text: string, start: number): number {
  let value = 0;
  for (let i = start; i < start + 8; i++) {
    const code = text.charCodeAt(i);
    value = value * 16 + (code <= 0x39 ? code - 0x30 : code - 0x57);
  }
  return value;
}

/**
 * The sampler OTEL_TRACES_SAMPLER names (case-insensitive; unset or '' is
 * parentbased_always_on), with OTEL_TRACES_SAMPLER_ARG as the ratio of the *traceidratio
 * ones (unset or '' is 1; ignored by the others). Anything else throws, naming the variable.
 */
export function createSampler(name: string | undefined, arg: string | undefined): Sampler {
  const normalized = (name ?? '').trim().toLowerCase() || DEFAULT_SAMPLER;
  if (!isSamplerName(normalized)) {
    throw new Error(`OTEL_TRACES_SAMPLER must be one of ${SAMPLER_NAMES.join(', ')}, not ${JSON.stringify(name)}`);
  }
  const parentBased = normalized.startsWith('parentbased_');
  const root = parentBased ? normalized.slice('parentbased_'.length) : normalized;
  if (root === 'always_on') return new Sampler(parentBased, 1, false);
  if (root === 'always_off') return new Sampler(parentBased, 0, false);
  return new Sampler(parentBased, parseRatio(arg), true);
}

function isSamplerName(name: string): name is SamplerName {
  return (SAMPLER_NAMES as readonly string[]).includes(name);
}

function parseRatio(arg: string | undefined): number {
  const text = (arg ?? '').trim();
  if (text === '') return 1;
  // Number() rather than parseFloat, which would read "0.5abc" as 0.5.
  const ratio = Number(text);
  if (!(ratio >= 0 && ratio <= 1)) {
    throw new Error(`OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1 (the share of traces kept), not ${JSON.stringify(arg)}`);
  }
  return ratio;
}

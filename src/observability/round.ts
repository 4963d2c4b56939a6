/** A number rounded for reports: metrics documents show milliseconds to the microsecond. */
export function round(value: number, digits = 3): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

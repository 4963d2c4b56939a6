// The `key1=value1,key2=value2` lists of the OpenTelemetry environment variables
// (OTEL_RESOURCE_ATTRIBUTES, OTEL_EXPORTER_OTLP_HEADERS): whitespace around keys and values
// trimmed, values percent-decoded (W3C Baggage style: '+' stays '+'), empty members
// skipped, a later key winning. A member without '=' or a key, or a bad percent escape,
// throws naming the variable (the spec discards the whole value on error).

/** `secret`: the list may hold credentials (headers): an error names the member's place,
 *  never its text. */
export function parseKeyValueList(raw: string | undefined, variable: string, secret = false): Record<string, string> {
  const pairs: Record<string, string> = {};
  if (raw === undefined) return pairs;
  const members = raw.split(',');
  for (let i = 0; i < members.length; i++) {
    const member = members[i] as string;
    if (member.trim() === '') continue;
    const shown = secret ? `member ${i + 1}` : JSON.stringify(member.trim());
    const eq = member.indexOf('=');
    const key = eq < 0 ? '' : member.slice(0, eq).trim();
    if (key === '') throw new Error(`${variable} must be key=value pairs separated by commas; ${shown} is not one`);
    const encoded = member.slice(eq + 1).trim();
    try {
      pairs[key] = decodeURIComponent(encoded);
    } catch {
      throw new Error(`${variable}: the value of ${key} has a bad percent escape${secret ? '' : `: ${JSON.stringify(encoded)}`}`);
    }
  }
  return pairs;
}

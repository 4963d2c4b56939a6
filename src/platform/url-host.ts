// A URL writes an IPv6 host in brackets (http://[::1]:8080); a socket address, a
// request's `hostname` and a span's server.address have none.

/** The URL's host as a socket takes it: an IPv6 address without its brackets. */
export function socketHost(url: URL): string {
  const host = url.hostname;
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

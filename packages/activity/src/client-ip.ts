const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/
const MAPPED_IPV4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i

/**
 * The bare IP address of a client as the activity log stores it: a port is stripped
 * (`203.0.113.7:51234`, `[2001:db8::1]:443`), an IPv4-mapped IPv6 address is written as IPv4 (as
 * the reference sees such peers), and anything that is no IP address gives undefined (the
 * reference drops such rows unsent).
 */
export function activityIp(address: string): string | undefined {
  let host = address.trim()
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(host)
  if (bracketed) host = bracketed[1] ?? ''
  else if (/^[^:]+:\d+$/.test(host)) host = host.slice(0, host.lastIndexOf(':'))
  const mapped = MAPPED_IPV4.exec(host)
  if (mapped) host = mapped[1] ?? ''
  if (IPV4.test(host)) return host
  return isIpv6(host) ? host.toLowerCase() : undefined
}

function isIpv6(host: string): boolean {
  if (!host.includes(':') || !/^[0-9a-f:.]+$/i.test(host)) return false
  try {
    // The WHATWG URL parser implements the IPv6 address grammar; no zone ids, as the Panel.
    return new URL(`http://[${host}]/`).hostname.length > 2
  } catch {
    return false
  }
}

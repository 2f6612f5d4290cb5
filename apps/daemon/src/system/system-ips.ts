import os from 'node:os'

/** The `GET /api/system/ips` body [pelican]. */
export interface SystemIps {
  readonly ip_addresses: string[]
}

type Interfaces = ReturnType<typeof os.networkInterfaces>

/**
 * The host's addresses a server could bind, as Pelican lists them: every interface address that
 * is neither loopback nor link-local (IPv4 and IPv6), then each `docker.system_ips` entry not
 * already there.
 */
export function systemIps(
  configured: readonly string[],
  interfaces: Interfaces = os.networkInterfaces(),
): SystemIps {
  const out: string[] = []
  for (const addresses of Object.values(interfaces)) {
    for (const address of addresses ?? []) {
      if (address.internal || isLinkLocal(address.address)) continue
      if (!out.includes(address.address)) out.push(address.address)
    }
  }
  for (const ip of configured) if (!out.includes(ip)) out.push(ip)
  return { ip_addresses: out }
}

function isLinkLocal(address: string): boolean {
  if (address.startsWith('169.254.')) return true
  // fe80::/10
  return /^fe[89ab][0-9a-f]:/i.test(address)
}

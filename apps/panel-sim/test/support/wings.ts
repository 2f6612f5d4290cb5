import type { PanelSim } from '@node/panel-sim'

export interface WingsResponse {
  readonly status: number
  readonly headers: Headers
  readonly text: string
  readonly json: unknown
}

/** Calls the simulator's remote API as node `nodeId`'s daemon (Wings' headers, `null` for no body). */
export async function wings(
  sim: PanelSim,
  method: string,
  path: string,
  body?: unknown,
  nodeId?: number,
): Promise<WingsResponse> {
  const node = sim.node(nodeId)
  const res = await fetch(`${sim.url}/api/remote${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${node.daemonTokenId}.${node.daemonToken}`,
      Accept: 'application/vnd.pterodactyl.v1+json',
      'Content-Type': 'application/json',
    },
    body: method === 'GET' ? undefined : JSON.stringify(body ?? null),
  })
  const text = await res.text()
  let json: unknown
  try {
    json = text === '' ? undefined : JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: res.status, headers: res.headers, text, json }
}

import { describe, expect, it } from 'vitest'

import { ServerManager } from './server-manager.js'
import { buildServerConfiguration, InMemoryPanelGateway } from './testing/index.js'

describe('ServerManager', () => {
  it('loads every server of the Panel in list order', async () => {
    const uuids = ['aaaaaaaa-0000-4000-8000-000000000001', 'aaaaaaaa-0000-4000-8000-000000000002']
    const panel = new InMemoryPanelGateway(uuids.map((u) => buildServerConfiguration(u)))
    const manager = new ServerManager({ panel })

    await manager.boot({ perPage: 50 })

    expect(manager.all().map((s) => s.uuid)).toEqual(uuids)
  })
})

import { makeServers, sampleFixture, startPanelSim } from '@node/panel-sim'
import { describePanelGatewayContract } from '@node/server-state/testing'

import { HttpPanelGateway } from '../src/index.js'

const TOKEN_ID = 'Q0mVwY8pXb3Kc7Rt'
const TOKEN = 'Xq3vJ8kPzR2mT6wYbN9cL4dF7hG1sA5eK0uV8iO3pQ2rW6tY9xZ4nM7bC1vB5hJ2'

describePanelGatewayContract('HttpPanelGateway against panel-sim', async () => {
  const fixture = { ...sampleFixture(), servers: makeServers(2) }
  const sim = await startPanelSim({ fixture, log: () => undefined })
  const servers = sim.servers().map((server) => server.uuid)
  const first = servers[0]!
  const gateway = new HttpPanelGateway({
    baseUrl: sim.url,
    tokenId: TOKEN_ID,
    token: TOKEN,
    timeoutMs: 10_000,
    userAgentVersion: '1.11.11',
    retry: { initialIntervalMs: 5, maxIntervalMs: 20, maxElapsedMs: 300 },
  })
  const admin = fixture.users![0]!
  return {
    gateway,
    servers,
    sftp: {
      username: `${admin.username}.${first.slice(0, 8)}`,
      password: admin.password!,
      user: admin.uuid!,
      server: first,
    },
    async close() {
      gateway.close()
      await sim.close()
    },
  }
})

import { afterEach, describe, expect, it } from 'vitest'

import { startPanelSim, type PanelSim } from '@node/panel-sim'

import { parseCliArgs, runCli } from '../src/cli.js'

let sim: PanelSim | undefined

afterEach(async () => {
  await sim?.close()
  sim = undefined
})

const NODE1 = {
  uuid: '0f4b8f3e-3c8a-4b8e-9d9a-2c1f6b7a8e90',
  daemonUrl: 'https://Node1.example.com:8080',
  tokenId: 'Q0mVwY8pXb3Kc7Rt',
  token: 'Xq3vJ8kPzR2mT6wYbN9cL4dF7hG1sA5eK0uV8iO3pQ2rW6tY9xZ4nM7bC1vB5hJ2',
}

describe('node configuration (D)', () => {
  it('produces the JSON of POST /api/update exactly as the spec shows it', async () => {
    sim = await startPanelSim({ fixture: { appUrl: 'https://panel.example.com/', nodes: [NODE1] } })

    const config = sim.nodeConfiguration()

    expect(JSON.stringify(config)).toBe(
      '{"debug":false,"uuid":"0f4b8f3e-3c8a-4b8e-9d9a-2c1f6b7a8e90","token_id":"Q0mVwY8pXb3Kc7Rt","token":"Xq3vJ8kPzR2mT6wYbN9cL4dF7hG1sA5eK0uV8iO3pQ2rW6tY9xZ4nM7bC1vB5hJ2",' +
        '"api":{"host":"0.0.0.0","port":8080,"ssl":{"enabled":true,"cert":"/etc/letsencrypt/live/node1.example.com/fullchain.pem","key":"/etc/letsencrypt/live/node1.example.com/privkey.pem"},"upload_limit":100},' +
        '"system":{"data":"/var/lib/pterodactyl/volumes","sftp":{"bind_port":2022}},"allowed_mounts":[],"remote":"https://panel.example.com"}',
    )
  })

  it('writes the YAML form the admin page shows', async () => {
    sim = await startPanelSim({
      fixture: { appUrl: 'https://panel.example.com', nodes: [{ ...NODE1, behindProxy: true }] },
    })

    const yaml = sim.nodeConfigurationYaml()

    expect(yaml).toContain('api:\n  host: 0.0.0.0\n  port: 8080\n  ssl:\n    enabled: false\n')
    expect(yaml).toContain("allowed_mounts: []\nremote: 'https://panel.example.com'\n")
  })

  it('serves it to wings configure with an application key, and refuses others', async () => {
    sim = await startPanelSim({
      fixture: {
        nodes: [NODE1],
        apiKeys: [{ token: 'ptla_good' }, { token: 'ptla_noperm', nodesRead: false }],
      },
    })
    const get = (path: string, key?: string) =>
      fetch(`${sim!.url}${path}`, {
        headers: {
          Accept: 'application/vnd.pterodactyl.v1+json',
          ...(key && { Authorization: `Bearer ${key}` }),
        },
      })

    const ok = await get('/api/application/nodes/1/configuration', 'ptla_good')
    const anonymous = await get('/api/application/nodes/1/configuration')
    const noPermission = await get('/api/application/nodes/1/configuration', 'ptla_noperm')
    const missing = await get('/api/application/nodes/7/configuration', 'ptla_good')

    expect(ok.status).toBe(200)
    expect(await ok.json()).toEqual(sim.nodeConfiguration())
    expect(anonymous.status).toBe(401)
    expect(noPermission.status).toBe(403)
    expect(missing.status).toBe(404)
    expect(sim.applicationApiKey).toBe('ptla_good')
  })
})

describe('CLI', () => {
  it('starts from the sample fixture with a node override and prints the URL first', async () => {
    let out = ''

    sim = (await runCli(
      [
        '--daemon-url',
        'http://127.0.0.1:18080',
        '--token-id',
        'abc',
        '--token',
        'xyz',
        '--print-config',
      ],
      {
        stdout: (t) => (out += t),
        stderr: (t) => (out += t),
      },
    ))!

    expect(out.split('\n')[0]).toBe(sim.url)
    expect(out).toContain('token_id: abc')
    expect(sim.node()).toMatchObject({
      daemonListen: 18080,
      daemonTokenId: 'abc',
      daemonToken: 'xyz',
    })
    expect((await fetch(`${sim.url}/__sim/state`)).status).toBe(200)
  })

  it.each([
    [['--port', 'x'], '--port must be a port number'],
    [['--backup-driver', 'ftp'], '--backup-driver must be wings or s3'],
    [['--bogus'], "Unknown option '--bogus'"],
  ])('rejects bad arguments (%#)', (argv, message) => {
    expect(() => parseCliArgs(argv)).toThrow(message)
  })
})

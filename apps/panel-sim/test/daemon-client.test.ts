import { afterEach, describe, expect, it } from 'vitest'

import { DaemonClient } from '@node/panel-sim'

import { json, startFakeDaemon, type FakeDaemon } from './support/fake-daemon.js'

let daemon: FakeDaemon | undefined

afterEach(async () => {
  await daemon?.close()
  daemon = undefined
})

async function setup(): Promise<DaemonClient> {
  daemon = await startFakeDaemon()
  return new DaemonClient({ url: daemon.url, token: 'node-token' })
}

describe('DaemonClient: the Panel’s requests (A.0)', () => {
  it('sends the Panel’s headers on a GET, including a JSON content type and no body', async () => {
    const client = await setup()
    daemon!.handle((_, res) => json(res, 200, { version: '1.11.0' }))

    const res = await client.getSystem()

    const call = daemon!.calls[0]!
    expect(call).toMatchObject({ method: 'GET', url: '/api/system' })
    expect(call.headers).toMatchObject({
      authorization: 'Bearer node-token',
      accept: 'application/json',
      'content-type': 'application/json',
      'user-agent': 'GuzzleHttp/7',
      connection: 'close',
    })
    expect(call.headers['content-length']).toBeUndefined()
    expect(res).toMatchObject({
      status: 200,
      body: { version: '1.11.0' },
      requestId: 'req-1',
      panelError: null,
    })
  })

  it('sends bodyless POSTs with Content-Length 0', async () => {
    const client = await setup()

    const res = await client.syncServer('d3aac109-e5e0-4331-b03e-3454f7e136dc')

    expect(daemon!.calls[0]!.headers['content-length']).toBe('0')
    expect(daemon!.calls[0]!.body.length).toBe(0)
    expect(res.status).toBe(204)
  })

  it('writes JSON as PHP does and encodes queries per RFC 3986', async () => {
    const client = await setup()

    await client.createBackup('s', { adapter: 'wings', uuid: 'b', ignore: 'logs/\n*.jar é' })
    await client.listDirectory('s', "/my dir/it's")

    expect(daemon!.calls[0]!.body.toString()).toBe(
      '{"adapter":"wings","uuid":"b","ignore":"logs\\/\\n*.jar \\u00e9"}',
    )
    expect(daemon!.calls[1]!.url).toBe(
      '/api/servers/s/files/list-directory?directory=%2Fmy%20dir%2Fit%27s',
    )
  })

  it('sends file contents raw, labelled JSON, with Expect: 100-Continue from 1 MiB', async () => {
    const client = await setup()
    const big = Buffer.alloc(1024 * 1024, 'a')

    await client.writeFile('s', 'eula.txt', 'eula=true')
    await client.writeFile('s', 'big.txt', big)

    expect(daemon!.calls[0]!.body.toString()).toBe('eula=true')
    expect(daemon!.calls[0]!.headers).toMatchObject({
      'content-type': 'application/json',
      'content-length': '9',
    })
    expect(daemon!.calls[0]!.headers.expect).toBeUndefined()
    expect(daemon!.calls[1]!.headers.expect).toBe('100-Continue')
    expect(daemon!.calls[1]!.body.equals(big)).toBe(true)
  })

  it('follows redirects', async () => {
    const client = await setup()
    daemon!.handle((call, res) => {
      if (call.url === '/api/system') {
        res.writeHead(302, { Location: '/api/system/' })
        res.end()
      } else json(res, 200, { ok: true })
    })

    const res = await client.getSystem()

    expect(res.status).toBe(200)
    expect(daemon!.calls.map((c) => c.url)).toEqual(['/api/system', '/api/system/'])
  })
})

describe('DaemonClient: how the Panel reads errors (A.1)', () => {
  it('quotes the daemon’s error for a 4xx and keeps its status', async () => {
    const client = await setup()
    daemon!.handle((_, res) =>
      json(res, 409, { error: 'A transfer is already in progress for this server.' }),
    )

    const res = await client.startTransfer('s', {
      server_id: 's',
      url: 'u',
      token: 'Bearer t',
      server: { uuid: 's', start_on_completion: false },
    })

    expect(res.panelError).toEqual({
      status: 409,
      code: 'DaemonConnectionException',
      message:
        'An error occurred on the remote host: A transfer is already in progress for this server.. (request id: req-1)',
      body: {
        errors: [
          {
            code: 'DaemonConnectionException',
            status: '409',
            detail:
              'An error occurred on the remote host: A transfer is already in progress for this server.. (request id: req-1)',
          },
        ],
      },
    })
  })

  it('names the code of a 5xx, and of a 4xx without an error key', async () => {
    const client = await setup()
    daemon!.handle((call, res) =>
      call.url.includes('power')
        ? json(res, 500, { error: 'x' })
        : json(res, 400, { message: 'y' }),
    )

    const five = await client.power('s', 'start')
    const four = await client.reinstallServer('s')

    const text = (code: number) =>
      `There was an error while communicating with the machine running this server. This error has been logged, please try again. (code: ${code}) (request_id: req-1)`
    expect(five.panelError).toMatchObject({ status: 500, message: text(500) })
    expect(four.panelError).toMatchObject({ status: 400, message: text(400) })
  })

  it('maps call-site exceptions: command 502, details 504, tolerated 404s, oversized file contents', async () => {
    const client = await setup()
    daemon!.handle((call, res) => {
      if (call.url.includes('commands'))
        return json(res, 502, { error: 'Cannot send commands to a stopped server instance.' })
      if (call.url.includes('contents')) {
        res.writeHead(200, { 'Content-Length': 4_194_305 })
        return void res.end(Buffer.alloc(4_194_305))
      }
      json(res, 404, { error: 'The requested resource does not exist on this instance.' })
    })

    const command = await client.sendCommand('s', 'say hi')
    const details = await client.getServer('s')
    const deleted = await client.deleteServer('s')
    const backup = await client.deleteBackup('s', 'b')
    const contents = await client.getFileContents('s', 'big.log')

    expect(JSON.parse(daemon!.calls[0]!.body.toString())).toEqual({ commands: ['say hi'] })
    expect(command.panelError).toMatchObject({
      status: 502,
      code: 'HttpException',
      message: 'Server must be online in order to send commands.',
    })
    expect(details.panelError).toMatchObject({
      status: 504,
      message: expect.stringContaining('(code: 404)') as unknown,
    })
    expect(deleted.panelError).toBeNull()
    expect(backup.panelError).toBeNull()
    expect(contents.panelError).toMatchObject({ status: 400, code: 'FileSizeTooLargeException' })
  })

  it('answers 504 "could not establish a connection" when nothing listens', async () => {
    const client = await setup()
    await daemon!.close()

    const res = await client.getSystem()

    expect(res.status).toBe(0)
    expect(res.error).toBeInstanceOf(Error)
    expect(res.panelError).toMatchObject({
      status: 504,
      message:
        'Could not establish a connection to the machine running this server. Please try again.',
    })
  })

  it('gives up after its total timeout', async () => {
    daemon = await startFakeDaemon()
    const client = new DaemonClient({ url: daemon.url, token: 't', timeoutMs: 200 })
    daemon.handle(() => undefined)

    const res = await client.getSystem()

    expect(res.status).toBe(0)
    expect(res.panelError?.status).toBe(504)
  })
})

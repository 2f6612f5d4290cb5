import { once } from 'node:events'
import { createServer, request, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

import express from 'express'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { abortedWhenClientLeaves } from './request-signal.js'

describe('abortedWhenClientLeaves', () => {
  let server: Server
  let port: number
  let seen: Promise<AbortSignal>
  let answer: () => void

  beforeEach(async () => {
    const app = express()
    let deliver: (signal: AbortSignal) => void = () => undefined
    seen = new Promise((resolve) => (deliver = resolve))
    app.post('/slow', (_req, res) => {
      const signal = abortedWhenClientLeaves(res)
      deliver(signal)
      answer = () => res.status(202).end()
    })
    server = createServer(app)
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    port = (server.address() as AddressInfo).port
  })

  afterEach(async () => {
    server.closeAllConnections()
    server.close()
    await once(server, 'close')
  })

  function post(): ReturnType<typeof request> {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/slow' })
    req.on('error', () => undefined)
    req.end('{}')
    return req
  }

  it('aborts when the client closes the connection before the answer', async () => {
    const req = post()
    const signal = await seen

    req.destroy()
    await once(signal, 'abort')

    expect(signal.aborted).toBe(true)
  })

  it('never aborts once the answer was sent', async () => {
    const req = post()
    const signal = await seen
    const responded = once(req, 'response') as Promise<[IncomingMessage]>
    answer()
    const [res] = await responded

    res.resume()
    await once(res, 'end')
    req.destroy()
    await new Promise((resolve) => setTimeout(resolve, 50))

    expect(signal.aborted).toBe(false)
  })
})

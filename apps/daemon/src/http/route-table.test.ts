import { once } from 'node:events'
import type { AddressInfo } from 'node:net'

import express, { Router } from 'express'
import { describe, expect, it } from 'vitest'

import { routePatterns, servedRoutes } from './route-table.js'

describe('servedRoutes', () => {
  it('lists routes of mounted routers with their full paths, in OpenAPI form', () => {
    const app = express()
    app.use((_req, _res, next) => next())
    const inner = Router({ mergeParams: true })
    inner.get('/', () => undefined)
    inner.post('/files/pull', () => undefined)
    inner.delete('/files/pull/:download', () => undefined)
    const outer = Router()
    outer.get('/api/servers', () => undefined)
    outer.use('/api/servers/:server', (_req, _res, next) => next(), inner)
    app.use(outer)
    app.get('/api/system', () => undefined)

    expect(servedRoutes(app)).toEqual([
      { method: 'GET', path: '/api/servers' },
      { method: 'GET', path: '/api/servers/{server}' },
      { method: 'POST', path: '/api/servers/{server}/files/pull' },
      { method: 'DELETE', path: '/api/servers/{server}/files/pull/{download}' },
      { method: 'GET', path: '/api/system' },
    ])
  })

  it('refuses a path it cannot describe', () => {
    const app = express()
    app.get(/^\/regexp$/, () => undefined)

    expect(() => servedRoutes(app)).toThrow(/not a string/)
  })
})

describe('routePatterns', () => {
  it('gives the route object a request matched its full pattern, never the URL', async () => {
    const app = express()
    const seen: (string | undefined)[] = []
    const inner = Router({ mergeParams: true })
    inner.get('/files/:file', (req, res) => {
      seen.push(patterns.get(req.route as object))
      res.end()
    })
    app.use('/api/servers/:server', inner)
    const patterns = routePatterns(app)
    const server = app.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const { port } = server.address() as AddressInfo

    await fetch(`http://127.0.0.1:${port}/api/servers/abc/files/x1`)
    await fetch(`http://127.0.0.1:${port}/api/servers/def/files/x2`)
    server.close()

    expect(seen).toEqual([
      '/api/servers/{server}/files/{file}',
      '/api/servers/{server}/files/{file}',
    ])
  })
})

import express, { Router } from 'express'
import { describe, expect, it } from 'vitest'

import { servedRoutes } from './route-table.js'

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

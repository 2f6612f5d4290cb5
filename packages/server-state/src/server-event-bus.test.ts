import { describe, expect, it } from 'vitest'

import { MemoryLogger } from '@node/shared-kernel/testing'

import type { ServerEvent } from './model/server-events.js'
import { ServerEventBus } from './server-event-bus.js'

describe('ServerEventBus', () => {
  it('delivers a payload to the subscribers of its event only', () => {
    const bus = new ServerEventBus()
    const statuses: string[] = []
    const lines: string[] = []
    bus.subscribe('status', (state) => statuses.push(state))
    bus.subscribe('console output', (line) => lines.push(line))

    bus.publish('status', 'starting')
    bus.publish('console output', 'hello')

    expect(statuses).toEqual(['starting'])
    expect(lines).toEqual(['hello'])
  })

  it('delivers every event, with its name, to whole-bus subscribers', () => {
    const bus = new ServerEventBus()
    const seen: ServerEvent[] = []
    bus.subscribeAll((event) => seen.push(event))

    bus.publish('status', 'running')
    bus.publish('deleted', undefined)

    expect(seen).toEqual([
      { name: 'status', payload: 'running' },
      { name: 'deleted', payload: undefined },
    ])
  })

  it('stops delivering after unsubscribe, and unsubscribing twice is harmless', () => {
    const bus = new ServerEventBus()
    const lines: string[] = []
    const unsubscribe = bus.subscribe('console output', (line) => lines.push(line))
    bus.publish('console output', 'one')

    unsubscribe()
    unsubscribe()
    bus.publish('console output', 'two')

    expect(lines).toEqual(['one'])
    expect(bus.listenerCount()).toBe(0)
  })

  it('keeps delivering to the others when a subscriber throws, and reports the failure', () => {
    const logger = new MemoryLogger()
    const bus = new ServerEventBus({ logger })
    const before: string[] = []
    const after: string[] = []
    bus.subscribe('status', (state) => before.push(state))
    bus.subscribe('status', () => {
      throw new Error('subscriber broke')
    })
    bus.subscribeAll(() => {
      throw new Error('whole-bus subscriber broke')
    })
    bus.subscribe('status', (state) => after.push(state))

    expect(() => bus.publish('status', 'running')).not.toThrow()
    bus.publish('status', 'stopping')

    expect(before).toEqual(['running', 'stopping'])
    expect(after).toEqual(['running', 'stopping'])
    expect(logger.records.filter((r) => r.level === 'error')).toHaveLength(4)
    expect(logger.records[0]).toMatchObject({
      message: 'server event listener failed',
      fields: { event: 'status' },
    })
  })

  it('reports a rejecting async subscriber without waiting for it', async () => {
    const logger = new MemoryLogger()
    const bus = new ServerEventBus({ logger })
    const order: string[] = []
    let release = (): void => undefined
    bus.subscribe('status', async () => {
      order.push('slow started')
      await new Promise<void>((resolve) => (release = resolve))
      throw new Error('late failure')
    })
    bus.subscribe('status', () => order.push('second'))

    bus.publish('status', 'running')
    order.push('publish returned')
    release()
    await new Promise((resolve) => setImmediate(resolve))

    expect(order).toEqual(['slow started', 'second', 'publish returned'])
    expect(logger.records.map((r) => r.message)).toEqual(['server event listener failed'])
  })

  it('survives a logger that throws', () => {
    const broken = new MemoryLogger()
    broken.error = () => {
      throw new Error('logger broke')
    }
    const bus = new ServerEventBus({ logger: broken })
    const seen: string[] = []
    bus.subscribe('status', () => {
      throw new Error('subscriber broke')
    })
    bus.subscribe('status', (state) => seen.push(state))

    expect(() => bus.publish('status', 'running')).not.toThrow()
    expect(seen).toEqual(['running'])
  })

  it('gives every subscriber the same order when a subscriber publishes', () => {
    const bus = new ServerEventBus()
    const first: string[] = []
    const second: string[] = []
    bus.subscribeAll((event) => {
      first.push(event.name)
      if (event.name === 'status') bus.publish('console output', 'nested')
    })
    bus.subscribeAll((event) => second.push(event.name))

    bus.publish('status', 'offline')

    expect(first).toEqual(['status', 'console output'])
    expect(second).toEqual(['status', 'console output'])
  })

  it('does not call a subscriber removed by an earlier one during the same publish', () => {
    const bus = new ServerEventBus()
    const seen: string[] = []
    let unsubscribeLater = (): void => undefined
    bus.subscribe('status', () => unsubscribeLater())
    unsubscribeLater = bus.subscribe('status', (state) => seen.push(state))

    bus.publish('status', 'running')

    expect(seen).toEqual([])
  })

  it('does not call a subscriber added during a publish for that same event', () => {
    const bus = new ServerEventBus()
    const seen: string[] = []
    bus.subscribe('status', () => {
      bus.subscribe('status', (state) => seen.push(state))
    })

    bus.publish('status', 'starting')
    bus.publish('status', 'running')

    expect(seen).toEqual(['running'])
  })

  it('drops subscribers and later events once closed', () => {
    const bus = new ServerEventBus()
    const seen: string[] = []
    bus.subscribeAll((event) => seen.push(event.name))

    bus.close()
    bus.publish('status', 'running')
    const unsubscribe = bus.subscribe('status', (state) => seen.push(state))
    bus.publish('status', 'offline')
    unsubscribe()

    expect(seen).toEqual([])
    expect(bus.isClosed).toBe(true)
    expect(bus.listenerCount()).toBe(0)
  })

  it('stops a dispatch under way when a subscriber closes the bus', () => {
    const bus = new ServerEventBus()
    const seen: string[] = []
    bus.subscribe('deleted', () => {
      bus.publish('status', 'offline')
      bus.close()
    })
    bus.subscribeAll((event) => seen.push(event.name))

    bus.publish('deleted', undefined)

    expect(seen).toEqual([])
  })

  it('counts subscribers per event', () => {
    const bus = new ServerEventBus()
    bus.subscribe('status', () => undefined)
    bus.subscribe('status', () => undefined)
    bus.subscribe('stats', () => undefined)
    bus.subscribeAll(() => undefined)

    expect(bus.listenerCount('status')).toBe(3)
    expect(bus.listenerCount('deleted')).toBe(1)
    expect(bus.listenerCount()).toBe(4)
  })
})

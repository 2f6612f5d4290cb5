import { describe, expect, it } from 'vitest'

import type { SavedStates, StateStore } from '../ports/state-store.js'

const A = '0b1e1d52-6f0e-4d36-a6a1-4f5f36a8a001'
const B = '0b1e1d52-6f0e-4d36-a6a1-4f5f36a8a002'
const C = '0b1e1d52-6f0e-4d36-a6a1-4f5f36a8a003'

/** Behaviour every StateStore must show; `makeStore` returns a fresh, empty store each time. */
export function describeStateStoreContract(
  name: string,
  makeStore: () => Promise<StateStore> | StateStore,
): void {
  describe(`${name} (StateStore contract)`, () => {
    it('loads nothing before anything was saved', async () => {
      const store = await makeStore()

      expect(await store.load()).toEqual({})
    })

    it('loads what was saved', async () => {
      const store = await makeStore()

      await store.save({ [A]: 'running', [B]: 'offline', [C]: 'starting' })

      expect(await store.load()).toEqual({ [A]: 'running', [B]: 'offline', [C]: 'starting' })
    })

    it('replaces the previous content as a whole', async () => {
      const store = await makeStore()
      await store.save({ [A]: 'running', [B]: 'running' })

      await store.save({ [C]: 'stopping' })

      expect(await store.load()).toEqual({ [C]: 'stopping' })
    })

    it('keeps the order of concurrent saves: the last one wins', async () => {
      const store = await makeStore()

      await Promise.all([
        store.save({ [A]: 'starting' }),
        store.save({ [A]: 'running' }),
        store.save({ [A]: 'stopping' }),
      ])

      expect(await store.load()).toEqual({ [A]: 'stopping' })
    })

    it('rejects a value that is not a server state and keeps the previous content', async () => {
      const store = await makeStore()
      await store.save({ [A]: 'running' })

      const failure = await store
        .save({ [B]: 'exploded' } as unknown as SavedStates)
        .catch((err: unknown) => err)

      expect(failure).toBeInstanceOf(TypeError)
      expect(await store.load()).toEqual({ [A]: 'running' })
    })

    it('does not share the saved object with the caller', async () => {
      const store = await makeStore()
      const states: Record<string, string> = { [A]: 'running' }
      await store.save(states as SavedStates)

      states[A] = 'offline'
      states[B] = 'running'

      expect(await store.load()).toEqual({ [A]: 'running' })
    })

    it('saves an empty set of states', async () => {
      const store = await makeStore()
      await store.save({ [A]: 'running' })

      await store.save({})

      expect(await store.load()).toEqual({})
    })
  })
}

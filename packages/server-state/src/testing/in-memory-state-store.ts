import { isServerState } from '../model/server-state.js'
import type { SavedStates, StateStore } from '../ports/state-store.js'

/** A StateStore in memory, for unit tests. `saves` counts successful saves. */
export class InMemoryStateStore implements StateStore {
  #saved: SavedStates
  saves = 0

  constructor(initial: SavedStates = {}) {
    this.#saved = { ...initial }
  }

  load(): Promise<SavedStates> {
    const valid = Object.entries(this.#saved).filter(([, state]) => isServerState(state))
    return Promise.resolve(Object.fromEntries(valid))
  }

  save(states: SavedStates): Promise<void> {
    if (typeof states !== 'object' || states === null || Array.isArray(states)) {
      return Promise.reject(new TypeError('server states must be an object of uuid to state'))
    }
    for (const [uuid, state] of Object.entries(states)) {
      if (!isServerState(state)) {
        return Promise.reject(
          new TypeError(`saved state of ${uuid} is not a server state: ${String(state)}`),
        )
      }
    }
    this.#saved = { ...states }
    this.saves++
    return Promise.resolve()
  }
}

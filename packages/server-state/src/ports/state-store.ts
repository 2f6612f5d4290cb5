import type { ServerState } from '../model/server-state.js'

/** The last known process state of each server, by uuid (`states.json`, behaviour §16). */
export type SavedStates = Readonly<Record<string, ServerState>>

/**
 * Where process states survive a daemon restart, so that boot can restart what was running
 * (behaviour §1 step 11). Adapters: FileStateStore; InMemoryStateStore in ./testing.
 */
export interface StateStore {
  /**
   * The states last saved, or `{}` when none were. Never rejects: unreadable or garbled content
   * is reported to the logger and read as `{}`, and entries whose value is not a state are dropped.
   */
  load(): Promise<SavedStates>
  /**
   * Replaces everything saved with `states`, atomically: after a crash at any point, `load`
   * returns either the previous or the new content. Rejects (saving nothing) when a value is
   * not a ServerState or the write fails.
   */
  save(states: SavedStates): Promise<void>
}

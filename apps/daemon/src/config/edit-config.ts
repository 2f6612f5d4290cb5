import type { DaemonConfig } from './schema.js'

/** A writable deep copy of a configuration type, for editConfig recipes. */
export type Draft<T> = T extends readonly (infer E)[]
  ? Draft<E>[]
  : T extends object
    ? { -readonly [K in keyof T]: Draft<T[K]> }
    : T

/**
 * A changed copy of `config`: `recipe` edits a deep copy (unknown keys included), e.g. to record
 * the uid and gid detected at start-up before the file is rewritten. `config` is not touched.
 */
export function editConfig(
  config: DaemonConfig,
  recipe: (draft: Draft<DaemonConfig>) => void,
): DaemonConfig {
  const draft = structuredClone(config) as Draft<DaemonConfig>
  recipe(draft)
  return draft
}

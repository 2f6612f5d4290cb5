/**
 * Answers `{{config.…}}` placeholders from the daemon's own configuration, so that this package
 * never reads the configuration itself.
 */
export interface ConfigValueResolver {
  /**
   * The value at `path` (snake_case YAML/JSON keys, e.g. `['docker', 'network', 'interface']`) of
   * the daemon's configuration, or `undefined` when there is none.
   */
  lookup(path: readonly string[]): unknown
}

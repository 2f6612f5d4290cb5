/**
 * The Panel's view of one server (its `settings` and `process_configuration`), in domain form.
 * The wire form (snake_case, PHP's `[]` for empty maps, nulls) is translated by the PanelGateway
 * adapter; by the time a value has this type every field is present and well-typed.
 */
export interface ServerConfiguration {
  readonly settings: ServerSettings
  readonly process: ProcessConfiguration
}

/** A value of the Panel's `environment` map: egg variables are strings, some keys are numbers or null. */
export type EnvironmentValue = string | number | boolean | null

export interface ServerSettings {
  readonly uuid: string
  readonly meta: { readonly name: string; readonly description: string }
  readonly suspended: boolean
  readonly environment: Readonly<Record<string, EnvironmentValue>>
  /** The startup command with its `{{VAR}}` placeholders still in it. */
  readonly invocation: string
  readonly skipEggScripts: boolean
  readonly build: BuildLimits
  readonly container: { readonly image: string }
  readonly allocations: Allocations
  readonly mounts: readonly Mount[]
  readonly egg: { readonly id: string; readonly fileDenylist: readonly string[] }
  /** Container labels; the Pterodactyl Panel never sends them (null), Pelican may. */
  readonly labels: Readonly<Record<string, string>> | null
  /** The Panel's per-server override of `system.crash_detection.enabled`; undefined when not sent. */
  readonly crashDetectionEnabled: boolean | undefined
}

export interface BuildLimits {
  /** MiB; 0 = unlimited. */
  readonly memoryLimit: number
  /** MiB; -1 = unlimited, 0 = none. */
  readonly swap: number
  /** Block IO weight, 10 to 1000. */
  readonly ioWeight: number
  /** Percent of one core (100 = one core); 0 = unlimited. */
  readonly cpuLimit: number
  /** A cpuset such as `0-1,3`; empty = any. */
  readonly threads: string
  /** MiB; 0 = unlimited. */
  readonly diskSpace: number
  readonly oomDisabled: boolean
}

export interface Allocation {
  readonly ip: string
  readonly port: number
}

export interface Allocations {
  readonly forceOutgoingIp: boolean
  readonly default: Allocation
  /** Every published port, grouped by IP. */
  readonly mappings: Readonly<Record<string, readonly number[]>>
}

export interface Mount {
  readonly source: string
  readonly target: string
  readonly readOnly: boolean
}

export type StopType = 'command' | 'signal' | 'stop' | ''

export interface ProcessConfiguration {
  readonly startup: {
    /** A console line containing any entry marks the server running; `regex:` entries are patterns. */
    readonly done: readonly string[]
    readonly userInteraction: readonly string[]
    readonly stripAnsi: boolean
  }
  readonly stop: { readonly type: StopType; readonly value: string }
  readonly configs: readonly ConfigFileRewrite[]
}

/** One egg configuration file rewritten before every start. */
export interface ConfigFileRewrite {
  /** `file`, `yaml`, `yml`, `properties`, `ini`, `json`, `xml`; others are a no-op. */
  readonly parser: string
  readonly file: string
  readonly replace: readonly ConfigReplacement[]
}

export interface ConfigReplacement {
  readonly match: string
  readonly ifValue: string | undefined
  /** Any JSON value; strings may hold `{{config.…}}` placeholders. */
  readonly replaceWith: unknown
}

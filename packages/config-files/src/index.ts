export type { ParseLimits } from './parse-in-worker.js'
export type { ConfigFileIo } from './ports/config-file-io.js'
export type { ConfigValueResolver } from './ports/config-value-resolver.js'
export { MalformedConfigFileError } from './parsers/malformed-config-file-error.js'
export {
  configValueResolverFrom,
  resolveReplacement,
  type ResolvedReplacement,
} from './resolve-replacement.js'
export {
  isKnownParser,
  rewriteConfigFile,
  rewriteConfigFileBytes,
  rewriteEggIni,
  rewriteEggJson,
  rewriteEggProperties,
  rewriteEggText,
  rewriteEggXml,
  rewriteEggYaml,
  resolveReplacements,
  type RewriteOptions,
} from './rewrite-config-file.js'
export {
  DEFAULT_PARSE_LIMITS,
  MAX_CONFIG_FILE_BYTES,
  rewriteConfigFiles,
  type ConfigFileOutcome,
  type ConfigFileResult,
} from './rewrite-config-files.js'

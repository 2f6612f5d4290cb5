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
  type RewriteOptions,
} from './rewrite-config-file.js'
export {
  MAX_DOCUMENT_FILE_BYTES,
  MAX_LINE_FILE_BYTES,
  maxFileBytes,
  rewriteConfigFiles,
  type ConfigFileOutcome,
  type ConfigFileResult,
} from './rewrite-config-files.js'

export {
  escapeHtml,
  installLogHeader,
  installLogTrailer,
  readInstallLogOutput,
  type InstallLogHeader,
} from './install-log.js'
export {
  INSTALL_MESSAGES,
  Installer,
  type InstallerOptions,
  type InstallOptions,
} from './installer.js'

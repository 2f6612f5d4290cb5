export { ProcessEnvironment } from './process-environment.js'
export {
  DEFAULT_PATH,
  ProcessEnvironmentFactory,
  type ProcessEnvironmentOptions,
} from './process-environment-factory.js'
export { isSimpleCommand, startupScript } from './startup-command.js'

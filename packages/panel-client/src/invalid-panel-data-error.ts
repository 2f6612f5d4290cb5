/**
 * The Panel answered with JSON this daemon cannot use. `field` is the path of the offending
 * value (`settings.build.memory_limit`, `data[3].settings.uuid`), so an operator can find it.
 */
export class InvalidPanelDataError extends Error {
  readonly field: string

  constructor(field: string, problem: string, options?: ErrorOptions) {
    super(`invalid Panel data at ${field}: ${problem}`, options)
    this.name = 'InvalidPanelDataError'
    this.field = field
  }
}

/** A configuration file that its parser cannot read; the file is then left as it was. */
export class MalformedConfigFileError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'MalformedConfigFileError'
  }
}

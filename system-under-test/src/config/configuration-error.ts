// A flag or option value the user must change (unknown strategy name, size < 1, taken port, ...).
// Thrown where the value is refused, so the role CLIs can tell "fix your flags" (exit 2) from
// "something broke" (exit 1) by type, without reading the message.

export class ConfigurationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'ConfigurationError'
  }
}

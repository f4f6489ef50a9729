/**
 * Something the user asked for that cannot work (a bad flag value, an engine that cannot drive the
 * scenario's load, an unreadable baseline). Thrown before anything starts; the CLI prints the
 * message and exits with `exitCode` (2).
 */
export class UsageError extends Error {
  readonly exitCode = 2
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

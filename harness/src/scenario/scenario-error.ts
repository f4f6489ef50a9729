/**
 * A mistake in a scenario file or name that the user can fix. Thrown while loading and validating
 * a scenario (before anything starts); the CLI prints the message and exits with `exitCode` (2).
 */
export class ScenarioError extends Error {
  readonly exitCode = 2
  constructor(message: string) {
    super(message)
    this.name = 'ScenarioError'
  }
}

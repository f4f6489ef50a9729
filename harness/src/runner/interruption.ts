/**
 * Why a suite was stopped from outside: the abort reason the CLI gives its AbortController on
 * SIGINT, SIGTERM, SIGHUP or when the process that launched LoadLab exited. The runner stops the
 * current run, writes what was measured, and the suite's verdict carries `exitCode`.
 */
export class Interruption extends Error {
  constructor(
    /** What stopped the suite, as the user would say it: "SIGTERM", "the launching process exited". */
    readonly what: string,
    /** 128 + the signal number, as a shell reports a process ended by that signal. */
    readonly exitCode: number,
  ) {
    super(`interrupted by ${what}`)
    this.name = 'Interruption'
  }
}

/** Exit code and cause of an aborted suite: the Interruption's, or Ctrl-C's 130. */
export function interruptionOf(reason: unknown): { what: string; exitCode: number } {
  return reason instanceof Interruption ? { what: reason.what, exitCode: reason.exitCode } : { what: 'SIGINT', exitCode: 130 }
}

// `npx loadlab run ...` (npm exec, npm run) puts npm, and unless the project's .npmrc says bash,
// a shell between the user and LoadLab. npm passes SIGINT and SIGTERM to that shell only; sh keeps
// them from LoadLab, and on SIGTERM npm and the shell exit while LoadLab would go on running the
// whole suite as an orphan. Linux gives no event for a parent's death to an unprivileged Node
// process, so the parent pid is polled: when it changes, the launcher is gone (the orphan was
// handed to init or a subreaper).
//
// Only under npm: someone who starts `loadlab` from a shell with nohup, setsid or `&` and then
// closes that shell wants the run to go on.

const POLL_MS = 500

/** true when npm started this process (npm sets npm_command for exec and run-script). */
export function launchedByNpm(env: NodeJS.ProcessEnv = process.env): boolean {
  return typeof env.npm_command === 'string' && env.npm_command !== ''
}

/**
 * Calls `gone` once, with the launcher's pid, when the parent process exits. Returns a function
 * that stops watching. Called by `loadlab run` when launched by npm.
 */
export function watchLauncher(gone: (launcherPid: number) => void, pollMs = POLL_MS): () => void {
  const launcher = process.ppid
  const timer = setInterval(() => {
    if (process.ppid === launcher) return
    clearInterval(timer)
    gone(launcher)
  }, pollMs)
  timer.unref()
  return () => clearInterval(timer)
}

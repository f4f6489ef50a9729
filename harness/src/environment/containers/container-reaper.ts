import { spawnSync } from 'node:child_process'
import type { Dockerode } from './docker-runtime.js'
import { harnessState, LABEL_HARNESS, LABEL_RUN } from './run-labels.js'

// LoadLab removes its own containers (Ryuk cannot run here): after each run and on error or
// Ctrl-C (the environment's stop), synchronously at process exit (a second Ctrl-C), and, for a
// harness that died by SIGKILL, on the next start or with `loadlab doctor --clean`, by label.

export interface ReapedRun {
  runId: string
  containers: number
  networks: number
}

/** Removes every container and network of one run (any state, paused included). Returns how many containers went. */
export async function removeRun(docker: Dockerode, runId: string): Promise<number> {
  const filters = { label: [`${LABEL_RUN}=${runId}`] }
  const containers = await docker.listContainers({ all: true, filters })
  await Promise.all(containers.map((c) => removeContainer(docker, c.Id)))
  const networks = await docker.listNetworks({ filters })
  await Promise.all(networks.map((n) => docker.getNetwork(n.Id).remove().catch(ignoreGone)))
  return containers.length
}

/**
 * Removes the containers and networks of runs whose harness process is gone (killed, crashed).
 * Runs of a live harness, or of another host, are left alone. Called before a containers run
 * starts and by `loadlab doctor --clean`.
 */
export async function reapDeadRuns(docker: Dockerode): Promise<{ reaped: ReapedRun[]; otherHosts: string[] }> {
  const containers = await docker.listContainers({ all: true, filters: { label: [LABEL_RUN] } })
  const networks = await docker.listNetworks({ filters: { label: [LABEL_RUN] } })
  const owners = new Map<string, string>()
  for (const item of [...containers, ...networks]) {
    const runId = item.Labels?.[LABEL_RUN]
    if (runId) owners.set(runId, item.Labels?.[LABEL_HARNESS] ?? '')
  }
  const reaped: ReapedRun[] = []
  const otherHosts: string[] = []
  for (const [runId, harness] of owners) {
    const state = harness === '' ? 'dead' : harnessState(harness)
    if (state === 'alive') continue
    if (state === 'elsewhere') {
      otherHosts.push(runId)
      continue
    }
    const mine = containers.filter((c) => c.Labels?.[LABEL_RUN] === runId)
    await Promise.all(mine.map((c) => removeContainer(docker, c.Id)))
    const nets = networks.filter((n) => n.Labels?.[LABEL_RUN] === runId)
    await Promise.all(nets.map((n) => docker.getNetwork(n.Id).remove().catch(ignoreGone)))
    reaped.push({ runId, containers: mine.length, networks: nets.length })
  }
  return { reaped, otherHosts }
}

async function removeContainer(docker: Dockerode, id: string): Promise<void> {
  await docker.getContainer(id).remove({ force: true, v: true }).catch(ignoreGone)
}

function ignoreGone(error: unknown): void {
  const status = (error as { statusCode?: number }).statusCode
  // 404: already gone; 409: removal already in progress.
  if (status !== 404 && status !== 409) throw error
}

// Containers of this process that are still up, for the exit hook. A process 'exit' handler
// cannot wait for the Docker API, so it calls the docker CLI synchronously; without the CLI the
// next start reaps them (their harness is then dead).
const live = new Set<string>()
let exitHookInstalled = false

/** Called when a container is created (before it is ready), so even a half-started member is removed at exit. */
export function trackContainer(id: string): void {
  live.add(id)
  if (!exitHookInstalled) {
    exitHookInstalled = true
    process.once('exit', removeTrackedContainersSync)
  }
}

/** Called once a container is removed. */
export function untrackContainer(id: string): void {
  live.delete(id)
}

/** Last resort at process exit: `docker rm -f` every container this process still has. */
export function removeTrackedContainersSync(): void {
  if (live.size === 0) return
  spawnSync('docker', ['rm', '--force', '--volumes', ...live], { stdio: 'ignore', timeout: 20_000 })
  live.clear()
}

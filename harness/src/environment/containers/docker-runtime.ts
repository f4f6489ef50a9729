import { EnvironmentError } from '../environment.js'

// Testcontainers is an optional dependency and heavy to load, so it is imported only when a
// containers run starts. Ryuk (its reaper) comes from a registry these machines cannot reach, and
// LoadLab removes its own containers by label anyway (container-reaper.ts): turn it off before
// the library reads its configuration.

export type Testcontainers = typeof import('testcontainers')
export type RuntimeClient = Awaited<ReturnType<Testcontainers['getContainerRuntimeClient']>>
export type Dockerode = RuntimeClient['container']['dockerode']

export interface DockerRuntime {
  tc: Testcontainers
  client: RuntimeClient
  docker: Dockerode
}

let loading: Promise<DockerRuntime> | null = null

/**
 * Testcontainers and a connected Docker client, loaded once per process. Rejects with an
 * EnvironmentError saying what to install or start when the library is missing or Docker does
 * not answer.
 */
export function dockerRuntime(): Promise<DockerRuntime> {
  loading ??= load().catch((error: unknown) => {
    loading = null
    throw error
  })
  return loading
}

async function load(): Promise<DockerRuntime> {
  process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true'
  let tc: Testcontainers
  try {
    tc = await import('testcontainers')
  } catch (error) {
    throw new EnvironmentError(
      `the containers environment needs the npm package testcontainers (11.x), which is not installed (${describe(error)}); ` +
        'run `npm install` (it is an optional dependency) or use --env local',
    )
  }
  let client: RuntimeClient
  try {
    client = await tc.getContainerRuntimeClient()
  } catch (error) {
    throw new EnvironmentError(
      `Docker is not reachable (${describe(error)}). Start it (as root: \`dockerd &\`; on Debian: \`apt-get install docker.io\`), ` +
        'or point DOCKER_HOST at a daemon; `loadlab doctor` checks it. Or use --env local',
    )
  }
  return { tc, client, docker: client.container.dockerode }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0]! : String(error)
}

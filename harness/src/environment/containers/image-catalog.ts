import { UsageError } from '../../runner/usage-error.js'

// Which image each kind of member runs. Users with a registry get the official images; where
// pulls fail, LoadLab builds equivalents itself (local-image-recipes.ts) from a Debian root file
// system made with debootstrap from this machine's apt sources. The CRM service image is always
// built here (it holds this checkout's build), on top of whichever Node image was chosen.
//
// Configuration (environment variables, since a registry is a property of the machine, not of a
// scenario):
//   LOADLAB_IMAGES=auto|official|local   auto (default): an image already present wins (official
//                                        first), then a pull, then a local build
//   LOADLAB_IMAGE_<KIND>=<name>          use this image for one kind (REDIS, POSTGRES, NODE, ...)

export const BASE_IMAGE_KINDS = ['node', 'redis', 'memcached', 'rabbitmq', 'kafka', 'postgres', 'haproxy', 'nginx', 'toxiproxy'] as const
export type BaseImageKind = (typeof BASE_IMAGE_KINDS)[number]

export const OFFICIAL_IMAGES: Record<BaseImageKind, string> = {
  node: 'node:20-bookworm-slim',
  redis: 'redis:7-bookworm',
  memcached: 'memcached:1.6-bookworm',
  // The release line of Debian bookworm's rabbitmq-server (3.10), which the local image runs.
  rabbitmq: 'rabbitmq:3.10',
  // Apache's own image of the version the local environment runs (its jars in /opt/kafka/libs, like the local image's).
  kafka: 'apache/kafka:3.9.1',
  postgres: 'postgres:15-bookworm',
  haproxy: 'haproxy:2.8',
  nginx: 'nginx:1.27',
  toxiproxy: 'ghcr.io/shopify/toxiproxy:2.5.0',
}

/** The registry-free equivalents `loadlab images build` makes (Debian bookworm packages, this machine's Node). */
export const LOCAL_IMAGES: Record<BaseImageKind, string> = {
  node: 'loadlab/node:20',
  redis: 'loadlab/redis:7',
  memcached: 'loadlab/memcached:1.6',
  rabbitmq: 'loadlab/rabbitmq:3.10',
  kafka: 'loadlab/kafka:3.9',
  postgres: 'loadlab/postgres:15',
  haproxy: 'loadlab/haproxy:2.6',
  nginx: 'loadlab/nginx:1.22',
  toxiproxy: 'loadlab/toxiproxy:2.5',
}

/** The Debian root file system every local image starts from (debootstrap + docker import). */
export const LOCAL_DEBIAN_IMAGE = 'loadlab/debian:bookworm'

/** The CRM service image per runtime base: Node alone, or HAProxy / nginx for a balancer using them as engine. */
export const CRM_IMAGE_REPOS = { node: 'loadlab/crm', haproxy: 'loadlab/crm-haproxy', nginx: 'loadlab/crm-nginx' } as const
export type CrmRuntime = keyof typeof CRM_IMAGE_REPOS

export type ImageSource = 'official' | 'local' | 'custom'
export type ImagePreference = 'auto' | 'official' | 'local'

export interface ImageChoice {
  kind: string
  name: string
  source: ImageSource
}

const PREFERENCES: readonly ImagePreference[] = ['auto', 'official', 'local']

/** LOADLAB_IMAGES, checked (a bad value is a usage error: exit 2). */
export function imagePreference(env: NodeJS.ProcessEnv = process.env): ImagePreference {
  const value = env.LOADLAB_IMAGES?.trim() || 'auto'
  if (!(PREFERENCES as readonly string[]).includes(value)) {
    throw new UsageError(
      `LOADLAB_IMAGES="${value}" is not one of ${PREFERENCES.join(', ')}: auto (default) uses what is present, official pulls from the registry, local builds without one`,
    )
  }
  return value as ImagePreference
}

/** LOADLAB_IMAGE_<KIND>, when the user named an image for this kind. */
export function customImage(kind: BaseImageKind, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env[`LOADLAB_IMAGE_${kind.toUpperCase()}`]?.trim() || undefined
}

/**
 * The images to try for a kind, in order, under the user's preference: a custom name alone, or
 * the official and/or local name. `present` tells which are already in Docker.
 */
export function imageCandidates(kind: BaseImageKind, preference: ImagePreference, env: NodeJS.ProcessEnv = process.env): [ImageChoice, ...ImageChoice[]] {
  const custom = customImage(kind, env)
  if (custom) return [{ kind, name: custom, source: 'custom' }]
  const official: ImageChoice = { kind, name: OFFICIAL_IMAGES[kind], source: 'official' }
  const local: ImageChoice = { kind, name: LOCAL_IMAGES[kind], source: 'local' }
  if (preference === 'official') return [official]
  if (preference === 'local') return [local]
  return [official, local]
}

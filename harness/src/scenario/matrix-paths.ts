// The topology fields a matrix may vary, written as dotted paths ("cache.strategy"). A fixed
// list, so a misspelt path gets "allowed: ..." rather than a silently ignored dimension.
export const MATRIX_PATHS = [
  'replicas',
  'shards',
  'partition',
  'store',
  'durability',
  'balancer.strategy',
  'balancer.implementation',
  'cache.strategy',
  'cache.size',
  'cache.ttlMs',
  'cache.writePolicy',
  'emulation.replica.serviceTime',
  'emulation.replica.slots',
  'emulation.replica.queueLimit',
  'emulation.shard.serviceTime',
  'emulation.shard.slots',
  'emulation.shard.queueLimit',
  'resources.replica.cpus',
  'resources.replica.memoryMb',
  'resources.shard.cpus',
  'resources.shard.memoryMb',
  'resources.balancer.cpus',
  'resources.balancer.memoryMb',
  'resources.redis.cpus',
  'resources.redis.memoryMb',
  'sync.strategy',
  'sync.broker',
  'sync.intervalMs',
  'sync.batch',
] as const
export type MatrixPath = (typeof MATRIX_PATHS)[number]

/**
 * Sets `path` to `value` inside a (plain, cloned) topology object, creating the objects on the
 * way. Called when validating a matrix and when building each cell's topology. An emulation field
 * without a service time gets 'off' so the emulation object stays complete.
 */
export function setTopologyPath<T extends Record<string, unknown>>(topology: T, path: string, value: unknown): T {
  const keys = path.split('.')
  let node: Record<string, unknown> = topology
  for (const key of keys.slice(0, -1)) {
    const next = node[key]
    if (next === null || typeof next !== 'object') node[key] = {}
    node = node[key] as Record<string, unknown>
  }
  node[keys[keys.length - 1]!] = value
  if (keys[0] === 'emulation' && keys.length === 3 && node.serviceTime === undefined) node.serviceTime = 'off'
  return topology
}

/** Short names for cell labels: "cache=lru replicas=2" reads better than "cache.strategy=lru". */
export function labelForPath(path: string): string {
  if (path === 'cache.strategy') return 'cache'
  if (path === 'balancer.strategy') return 'balancer'
  if (path === 'balancer.implementation') return 'balancer-impl'
  if (path === 'sync.strategy') return 'sync'
  const limit = /^resources\.(\w+)\.(cpus|memoryMb)$/.exec(path)
  if (limit) return `${limit[1]}.${limit[2]}`
  return path
}

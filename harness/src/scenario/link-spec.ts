// A network link between two tiers of the topology, as a scenario names it for a network fault:
// `replica-1 -> shard-0` (one link), `replicas -> redis` (one link per replica), `balancer -> replica-2`.
// Links go the way requests do: the left side opens the connection, the right side serves it.

export type LinkRole = 'replica' | 'shard' | 'balancer' | 'redis'

/** One side of a link: a member (`replica-1`) or every member of a role (`replicas`, index null). */
export interface LinkEnd {
  role: LinkRole
  index: number | null
}

export interface LinkSpec {
  text: string
  from: LinkEnd
  to: LinkEnd
}

/** The links a topology has, by the role of each side. */
const LINK_KINDS: ReadonlyArray<readonly [LinkRole, LinkRole]> = [
  ['replica', 'shard'],
  ['replica', 'redis'],
  ['balancer', 'replica'],
]

const EXAMPLES = "'replica-1 -> shard-0', 'replicas -> redis', 'balancer -> replica-2'"

/**
 * Parses a link as written in a scenario. Returns the link, or a message saying what is wrong
 * and how to write it (the scenario validation reports it, with the value, at the fault's `link`).
 */
export function parseLink(text: string): LinkSpec | string {
  const sides = text.split('->')
  if (sides.length !== 2) return `not a link: write <from> -> <to>, for example ${EXAMPLES}`
  const from = parseEnd(sides[0]!.trim())
  const to = parseEnd(sides[1]!.trim())
  if (typeof from === 'string') return from
  if (typeof to === 'string') return to
  if (!LINK_KINDS.some(([a, b]) => a === from.role && b === to.role)) {
    return `there is no link from ${endText(from)} to ${endText(to)}; links go replica -> shard, replica -> redis and balancer -> replica (${EXAMPLES})`
  }
  return { text: `${endText(from)} -> ${endText(to)}`, from, to }
}

/** The name of a concrete link between two members: "replica-1 -> shard-0". */
export function linkName(from: string, to: string): string {
  return `${from} -> ${to}`
}

/** Whether a spec covers the link between the members `from` and `to` (names like replica-1). */
export function linkMatches(spec: LinkSpec, from: string, to: string): boolean {
  return endMatches(spec.from, from) && endMatches(spec.to, to)
}

function endMatches(end: LinkEnd, member: string): boolean {
  if (end.index === null) return member === end.role || member.startsWith(`${end.role}-`)
  return member === `${end.role}-${end.index}`
}

/** Members a topology may have that no Toxiproxy link reaches. */
const UNPROXIED_MEMBERS: readonly string[] = ['memcached', 'downstream', 'rabbitmq', 'kafka']

function parseEnd(text: string): LinkEnd | string {
  if (text === 'balancer' || text === 'redis') return { role: text, index: null }
  if (UNPROXIED_MEMBERS.includes(text)) {
    return `"${text}": links to ${text} do not run through Toxiproxy (links go replica -> shard, replica -> redis and balancer -> replica); act on ${text} with container faults (kill, pause, resume, restart, cpus) instead`
  }
  if (text === 'replicas') return { role: 'replica', index: null }
  if (text === 'shards') return { role: 'shard', index: null }
  const match = /^(replica|shard)-(\d+)$/.exec(text)
  if (!match) return `"${text}" is not a member: use replica-<n> (from 1), shard-<n> (from 0), balancer, redis, or a group (replicas, shards)`
  const index = Number(match[2])
  if (match[1] === 'replica' && index < 1) return `"${text}": replicas count from 1 (replica-1)`
  return { role: match[1] as LinkRole, index }
}

function endText(end: LinkEnd): string {
  if (end.index !== null) return `${end.role}-${end.index}`
  return end.role === 'replica' ? 'replicas' : end.role === 'shard' ? 'shards' : end.role
}

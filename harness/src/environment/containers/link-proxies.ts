import { Toxiproxy, type Proxy as ToxiproxyProxy, type ToxicType } from 'toxiproxy-node-client'
import { linkMatches, linkName, parseLink, type LinkSpec } from '../../scenario/link-spec.js'
import { NETWORK_FAULT_ACTIONS, type FaultSpec, type LinkCondition, type NetworkFaultAction, type Topology } from '../../scenario/scenario.js'
import { EnvironmentError, type Fault } from '../environment.js'

// Network faults between tiers: a link a fault names runs through its own Toxiproxy proxy (the
// replica connects to the proxy's loopback port, the proxy to the member), so a toxic on it hits
// that link alone. Links no fault names stay direct, so the proxy costs nothing where it is not
// used.

export interface Link {
  from: string
  to: string
}

/** Every link of a topology, in the direction requests go: replica -> shard, replica -> redis, balancer -> replica. */
export function topologyLinks(t: Topology): Link[] {
  const links: Link[] = []
  for (let r = 1; r <= t.replicas; r++) {
    for (let s = 0; s < t.shards; s++) links.push({ from: `replica-${r}`, to: `shard-${s}` })
    if (t.cache.strategy === 'redis') links.push({ from: `replica-${r}`, to: 'redis' })
  }
  if (t.replicas > 1) for (let r = 1; r <= t.replicas; r++) links.push({ from: 'balancer', to: `replica-${r}` })
  return links
}

/** The links one network fault acts on: those its `link` covers, or every link into or out of its `member`. */
export function linksOfFault(f: Pick<FaultSpec, 'member' | 'link'>, links: readonly Link[]): Link[] {
  if (f.link !== undefined) {
    const spec = parseLink(f.link)
    if (typeof spec === 'string') throw new EnvironmentError(`link "${f.link}": ${spec}`)
    return links.filter((l) => linkMatches(spec as LinkSpec, l.from, l.to))
  }
  return links.filter((l) => l.from === f.member || l.to === f.member)
}

export function isNetworkFault(action: string): action is NetworkFaultAction {
  return (NETWORK_FAULT_ACTIONS as readonly string[]).includes(action)
}

/** The links to route through Toxiproxy: those the topology's link conditions and the scenario's network faults name. */
export function proxiedLinks(t: Topology, faults: readonly FaultSpec[]): Link[] {
  const all = topologyLinks(t)
  const wanted = new Set<string>()
  const named: Array<Pick<FaultSpec, 'member' | 'link'>> = [
    ...Object.keys(t.links).map((link) => ({ link })),
    ...faults.filter((f) => isNetworkFault(f.action)),
  ]
  for (const f of named) for (const l of linksOfFault(f, all)) wanted.add(linkName(l.from, l.to))
  return all.filter((l) => wanted.has(linkName(l.from, l.to)))
}

/** The toxic each network fault adds, and on which direction of the connection. */
const TOXICS: Partial<Record<NetworkFaultAction, { type: ToxicType; stream: 'upstream' | 'downstream'; attributes: (f: Fault) => Record<string, number> }>> = {
  // On the answers: each request/response pair pays the latency once.
  latency: { type: 'latency', stream: 'downstream', attributes: (f) => ({ latency: f.latencyMs ?? 0, jitter: f.jitterMs ?? 0 }) },
  bandwidth: { type: 'bandwidth', stream: 'downstream', attributes: (f) => ({ rate: f.rateKBps ?? 0 }) },
  timeout: { type: 'timeout', stream: 'downstream', attributes: (f) => ({ timeout: f.timeoutMs ?? 0 }) },
  reset: { type: 'reset_peer', stream: 'upstream', attributes: (f) => ({ timeout: f.timeoutMs ?? 0 }) },
}

/** The Toxiproxy proxies of one started topology, by link. */
export class LinkProxies {
  private readonly api: Toxiproxy
  private readonly proxies = new Map<string, ToxiproxyProxy>()
  /** Toxics this run added, by proxy name: heal removes them, a second fault of a kind replaces its toxic. */
  private readonly toxics = new Map<string, Set<string>>()

  constructor(
    apiUrl: string,
    private readonly links: readonly Link[],
  ) {
    this.api = new Toxiproxy(apiUrl)
  }

  /** Creates the proxy of a link towards `upstream` (host:port); returns the loopback address it listens on. */
  async add(link: Link, upstream: string): Promise<string> {
    const name = proxyName(link)
    // Port 0: Toxiproxy binds a free port and answers with it, so there is no race for it.
    const proxy = await toxiproxyCall(`creating the proxy of ${linkName(link.from, link.to)}`, () =>
      this.api.createProxy({ name, listen: '127.0.0.1:0', upstream, enabled: true }),
    )
    this.proxies.set(linkName(link.from, link.to), proxy)
    return proxy.listen
  }

  /** The listen address of a link's proxy, or undefined when the link is direct. */
  listenAddress(from: string, to: string): string | undefined {
    return this.proxies.get(linkName(from, to))?.listen
  }

  names(): string[] {
    return [...this.proxies.keys()]
  }

  /**
   * Makes links behave as the topology's `links` say, before any load: toxics under their own
   * names, so a later `heal` (which removes what faults added) leaves them in place.
   */
  async applyConditions(conditions: Record<string, LinkCondition>): Promise<void> {
    for (const [text, c] of Object.entries(conditions)) {
      for (const link of linksOfFault({ link: text }, this.links)) {
        const proxy = this.proxies.get(linkName(link.from, link.to))
        if (!proxy) continue
        const what = `link condition ${JSON.stringify(c)} on ${linkName(link.from, link.to)}`
        if (c.latencyMs !== undefined) {
          await toxiproxyCall(what, () =>
            proxy.addToxic({
              name: 'condition-latency',
              type: 'latency',
              stream: 'downstream',
              toxicity: 1,
              attributes: { latency: c.latencyMs, jitter: c.jitterMs ?? 0 },
            }),
          )
        }
        if (c.rateKBps !== undefined) {
          await toxiproxyCall(what, () =>
            proxy.addToxic({ name: 'condition-bandwidth', type: 'bandwidth', stream: 'downstream', toxicity: 1, attributes: { rate: c.rateKBps } }),
          )
        }
      }
    }
  }

  /** Applies a network fault to every proxied link it names; resolves with a short detail. */
  async apply(f: Fault): Promise<string> {
    if (!isNetworkFault(f.action)) throw new EnvironmentError(`${f.action} is not a network fault`)
    const targets = linksOfFault(f, this.links)
    const proxies = targets.map((l) => this.proxies.get(linkName(l.from, l.to))).filter((p): p is ToxiproxyProxy => p !== undefined)
    if (proxies.length === 0) throw new EnvironmentError(`no link of this topology matches ${f.link ?? f.member}`)
    const action = f.action
    await Promise.all(proxies.map((p) => toxiproxyCall(`${action} on ${p.name}`, () => this.applyTo(p, action, f))))
    const where = targets.map((l) => linkName(l.from, l.to)).join(', ')
    return `${describeFault(f)} on ${where}`
  }

  private async applyTo(proxy: ToxiproxyProxy, action: NetworkFaultAction, f: Fault): Promise<void> {
    const body = { listen: proxy.listen, upstream: proxy.upstream }
    if (action === 'partition') {
      // A disabled proxy closes its listener and every open connection: refused and reset, as a cut link.
      await proxy.update({ ...body, enabled: false })
      return
    }
    const added = this.toxics.get(proxy.name) ?? new Set<string>()
    this.toxics.set(proxy.name, added)
    if (action === 'heal') {
      for (const name of added) await (await proxy.getToxic(name)).remove()
      added.clear()
      await proxy.update({ ...body, enabled: true })
      return
    }
    const toxic = TOXICS[action]!
    // A second fault of the same kind replaces the first (toxic names are unique on a proxy).
    if (added.has(action)) await (await proxy.getToxic(action)).remove()
    await proxy.addToxic({ name: action, type: toxic.type, stream: toxic.stream, toxicity: 1, attributes: toxic.attributes(f) })
    added.add(action)
  }
}

/** A Toxiproxy API call whose failure says what LoadLab was doing (the client only says "status code 400"). */
async function toxiproxyCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (error) {
    throw new EnvironmentError(`Toxiproxy refused ${what}: ${error instanceof Error ? error.message : String(error)}`)
  }
}

/** Toxiproxy names go into URL paths: "replica-1_to_shard-0". */
function proxyName(link: Link): string {
  return `${link.from}_to_${link.to}`
}

function describeFault(f: Fault): string {
  switch (f.action) {
    case 'latency':
      return `+${f.latencyMs} ms${f.jitterMs ? ` (±${f.jitterMs} ms)` : ''}`
    case 'bandwidth':
      return `${f.rateKBps} KB/s`
    case 'timeout':
      return f.timeoutMs ? `data stops, closed after ${f.timeoutMs} ms` : 'data stops'
    case 'reset':
      return f.timeoutMs ? `connections reset after ${f.timeoutMs} ms` : 'connections reset'
    case 'partition':
      return 'cut'
    default:
      return 'healed'
  }
}

/** The network faults that name no link of this topology (replica-3 of a 2-replica cell, redis without a redis cache): they will not apply. */
export function unmatchedNetworkFaults(t: Topology, faults: readonly FaultSpec[]): string[] {
  const all = topologyLinks(t)
  return faults
    .filter((f) => isNetworkFault(f.action) && linksOfFault(f, all).length === 0)
    .map(
      (f) =>
        `fault ${f.action} at ${f.atS} s: no link of this topology matches ${f.link ?? f.member} (links: ${all.map((l) => linkName(l.from, l.to)).join(', ') || 'none'})`,
    )
}

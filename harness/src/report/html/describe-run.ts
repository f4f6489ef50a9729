import { CHOICE_KINDS } from '#crm-contract'
import type { ContainersInfo, RunResult, TopologyInfo } from '../../results/results-schema.js'
import type { LoadModel, Workload } from '../../workload/workload.js'
import { formatCount, formatDuration, formatNumber } from './format.js'

// Plain-language descriptions of how a run was driven, shown in captions and the validity
// section ("open model, 500 req/s, at most 256 in flight").

/** "closed model, 32 connections, 30 s" / "open model, ramp to 2,000 req/s over 60 s". */
export function describeLoad(load: LoadModel | undefined): string {
  if (!load) return 'load model unknown'
  if (load.model === 'closed') {
    return `closed model, ${formatCount(load.connections)} connections, ${formatDuration(load.durationS)}${load.pipelining && load.pipelining > 1 ? `, pipelining ${load.pipelining}` : ''}`
  }
  const cap = `at most ${formatCount(load.maxInFlight)} in flight`
  if (load.stages && load.stages.length > 0) {
    const total = load.stages.reduce((s, st) => s + st.durationS, 0)
    const peak = Math.max(...load.stages.map((s) => s.target))
    return `open model, ramp to ${formatNumber(peak)} req/s over ${formatDuration(total)}, ${cap}`
  }
  return `open model, ${formatNumber(load.rate)} req/s for ${formatDuration(load.durationS)}, ${cap}`
}

/** "2 replicas behind round-robin (builtin), 4 hash shards, cache lru (10,000)". */
export function describeTopology(t: TopologyInfo | undefined): string {
  if (!t) return 'topology unknown'
  // A system the user runs: LoadLab knows only its address.
  if (t.environment === 'external') return `external target ${t.target ?? '(address not recorded)'}`
  const parts: string[] = []
  parts.push(`${formatCount(t.replicas)} replica${t.replicas === 1 ? '' : 's'}`)
  if (t.balancer) parts[0] += ` behind ${t.balancer.strategy} (${t.balancer.engine})`
  parts.push(`${formatCount(t.shards)} ${t.partition} shard${t.shards === 1 ? '' : 's'} (${t.store})`)
  if (t.cache && t.cache.strategy !== 'none') parts.push(`cache ${t.cache.strategy} (${formatCount(t.cache.size)}, ${t.cache.writePolicy})`)
  else parts.push('no cache')
  if (t.capacity) parts.push(`service time ${t.capacity.serviceTime}, ${t.capacity.slots} slots`)
  if (t.durability) parts.push(`shard log ${t.durability}`)
  parts.push(t.containers ? describeContainers(t.containers) : t.environment)
  return parts.join(', ')
}

/**
 * What each compared strategy does, in the service's own words (its contract): one entry per
 * value of every strategy the matrix varies, e.g. { kind: 'cache strategy', name: 'lru', about:
 * 'least recently used entries evicted first, one cache per replica' }.
 */
export function describeComparedChoices(runs: readonly RunResult[]): Array<{ kind: string; name: string; about: string }> {
  const out: Array<{ kind: string; name: string; about: string }> = []
  for (const kind of CHOICE_KINDS) {
    const names = [
      ...new Set(
        runs
          .map((r) => r.cell[kind.field])
          .filter((v) => v !== undefined)
          .map(String),
      ),
    ]
    for (const name of names) {
      const about = kind.info[name]?.about
      if (about) out.push({ kind: kind.label, name, about })
    }
  }
  return out
}

/** "containers: replica 0.5 CPU 256 MB; replicas -> redis +2 ms ±1 ms; local images". */
function describeContainers(c: ContainersInfo): string {
  const limits = Object.entries(c.resources).map(([role, r]) =>
    [role, r.cpus !== undefined ? `${formatNumber(r.cpus)} CPU` : '', r.memoryMb !== undefined ? `${formatCount(r.memoryMb)} MB` : '']
      .filter(Boolean)
      .join(' '),
  )
  const links = Object.entries(c.linkConditions ?? {}).map(([link, l]) =>
    [
      link,
      l.latencyMs !== undefined ? `+${l.latencyMs} ms${l.jitterMs ? ` ±${l.jitterMs} ms` : ''}` : '',
      l.rateKBps !== undefined ? `${formatCount(l.rateKBps)} KB/s` : '',
    ]
      .filter(Boolean)
      .join(' '),
  )
  const sources = [...new Set(Object.values(c.images).map((i) => i.source))].join(' and ')
  return `containers: ${[...limits, ...links, sources ? `${sources} images` : ''].filter(Boolean).join('; ') || 'no limits'}`
}

/** "get_customer 60 %, search_customers 20 %, ..." (an HTTP scenario: "home 25 %, checkout 75 %") */
export function describeMix(workload: Workload | undefined): string {
  if (!workload) return ''
  // An HTTP scenario: its requests and flows by weight.
  const entries = workload.http
    ? workload.http.flows.map((f): [string, number] => [f.name, f.weight])
    : (Object.entries(workload.mix).filter(([, w]) => typeof w === 'number' && w > 0) as Array<[string, number]>)
  const total = entries.reduce((s, [, w]) => s + w, 0)
  if (total <= 0) return ''
  return entries.map(([op, w]) => `${op} ${Math.round((w / total) * 100)} %`).join(', ')
}

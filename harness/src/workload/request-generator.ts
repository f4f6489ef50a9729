import type { OperationName, Workload } from './workload.js'
import type { Dataset } from './dataset.js'
import type { VersionTracker } from './version-tracker.js'
import { createSeededRandom, type SeededRandom } from '../random/seeded-random.js'
import { createOperationPicker } from './operation-mix.js'
import { createKeySampler } from './key-popularity.js'
import { randomActivity, randomCompany, randomCustomer, randomSearchPrefix, randomSegment } from './customer-data.js'

/** One HTTP request the engines send, plus what is needed to interpret its response. */
export interface RequestSpec {
  op: OperationName
  method: 'GET' | 'POST' | 'PATCH'
  /** Path and query, starting with '/'. */
  path: string
  /** JSON text for POST/PATCH. */
  body?: string
  /** The customer the request addresses (absent for search and create). */
  customerId?: string
  /**
   * Reads only: the newest version acknowledged for this customer when the read was generated.
   * A response older than this is a stale read (a read that started before a write was
   * acknowledged may legitimately see the old version, so it is not compared to later acks).
   */
  minVersion?: number
}

export interface RequestGenerator {
  /** Called for every request the engine sends (or drops): the next request of the seeded sequence. */
  next(): RequestSpec
  /** Called before reading a response: whether observe() needs the body (engines skip reading it otherwise). */
  needsBody(spec: RequestSpec): boolean
  /**
   * Called with every HTTP response (not for status 0). Records created ids in the dataset and
   * acknowledged versions in the tracker; returns the stale-read verdict for reads that were
   * checked (true/false) and undefined otherwise.
   */
  observe(spec: RequestSpec, status: number, body: string | undefined): boolean | undefined
}

export interface GeneratorOptions {
  /** Makes created emails unique across runs on one target (default "n<seed>"). */
  emailTag?: string
  /**
   * Which of several generators sharing one workload this is (a load agent's index). Stream 0 is
   * the workload's own sequence; every other stream draws its own operations, keys and bodies
   * from the same mix and key popularity (the same hot keys), so N streams together send what
   * one generator would.
   */
  stream?: number
}

export const JSON_HEADERS = { 'content-type': 'application/json' } as const

interface VersionedBody {
  id?: unknown
  version?: unknown
  customer?: { version?: unknown }
}

function parse(body: string | undefined): VersionedBody | undefined {
  if (!body) return undefined
  try {
    const v: unknown = JSON.parse(body)
    return typeof v === 'object' && v !== null ? (v as VersionedBody) : undefined
  } catch {
    return undefined
  }
}

/**
 * The workload's request sequence: operation by mix weight, customer by key popularity, bodies
 * from the seed. Same seed and same responses => same sequence.
 */
export function createRequestGenerator(w: Workload, dataset: Dataset, versions: VersionTracker, opts: GeneratorOptions = {}): RequestGenerator {
  if (dataset.customerIds.length === 0) throw new Error('the dataset is empty: seed at least one customer before the run (workload.datasetSize >= 1)')
  const root = createSeededRandom(w.seed)
  const stream = opts.stream ?? 0
  if (!(Number.isInteger(stream) && stream >= 0)) throw new Error(`stream must be an integer >= 0, got ${stream}`)
  const draws = stream === 0 ? root : createSeededRandom(w.seed).fork(1_000_000 + stream)
  const ops = createOperationPicker(w.mix, draws.fork(1))
  // The key layout (which keys are hot) is the workload's in every stream: stream 0's key rng is root.fork(2) after root.fork(1).
  let layout: SeededRandom | undefined
  if (stream !== 0) {
    root.fork(1)
    layout = root.fork(2)
  }
  const keys = createKeySampler(w.keys, dataset.customerIds.length, draws.fork(2), layout)
  const bodies = draws.fork(3)
  const tag = opts.emailTag ?? `n${w.seed}`
  let created = 0

  const customerId = (): string => {
    const ids = dataset.customerIds
    return ids[keys.pick(ids.length)]!
  }
  const read = (op: OperationName, suffix: string): RequestSpec => {
    const id = customerId()
    return { op, method: 'GET', path: `/customers/${encodeURIComponent(id)}${suffix}`, customerId: id, minVersion: versions.get(id) }
  }

  return {
    next(): RequestSpec {
      const op = ops.pick()
      switch (op) {
        case 'get_customer':
          return read(op, '')
        case 'customer_360':
          return read(op, '/360')
        case 'list_deals': {
          const id = customerId()
          return { op, method: 'GET', path: `/customers/${encodeURIComponent(id)}/deals`, customerId: id }
        }
        case 'search_customers':
          return { op, method: 'GET', path: `/customers?q=${randomSearchPrefix(bodies)}&limit=20` }
        case 'create_customer':
          return { op, method: 'POST', path: '/customers', body: JSON.stringify(randomCustomer(bodies, `${tag}-${created++}`)) }
        case 'update_customer': {
          const id = customerId()
          const patch = bodies.next() < 0.5 ? { company: randomCompany(bodies) } : { segment: randomSegment(bodies) }
          return { op, method: 'PATCH', path: `/customers/${encodeURIComponent(id)}`, body: JSON.stringify(patch), customerId: id }
        }
        case 'add_activity': {
          const id = customerId()
          return { op, method: 'POST', path: `/customers/${encodeURIComponent(id)}/activities`, body: JSON.stringify(randomActivity(bodies)), customerId: id }
        }
      }
    },
    needsBody(spec) {
      return spec.op === 'create_customer' || spec.op === 'update_customer' || spec.minVersion !== undefined
    },
    observe(spec, status, body) {
      if (spec.op === 'create_customer') {
        if (status !== 201) return undefined
        const c = parse(body)
        if (c && typeof c.id === 'string') {
          dataset.customerIds.push(c.id)
          versions.acknowledge(c.id, typeof c.version === 'number' ? c.version : 1)
        }
        return undefined
      }
      if (spec.op === 'update_customer') {
        const c = parse(body)
        if (status === 200 && spec.customerId && c && typeof c.version === 'number') versions.acknowledge(spec.customerId, c.version)
        return undefined
      }
      if (spec.minVersion === undefined || status !== 200) return undefined
      const r = parse(body)
      const version = spec.op === 'customer_360' ? r?.customer?.version : r?.version
      return typeof version === 'number' ? version < spec.minVersion : undefined
    },
  }
}

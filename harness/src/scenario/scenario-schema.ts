import { SERVICE_TIME_PATTERN } from '#crm-contract'
import { z } from 'zod'
import { OPERATIONS } from '../workload/workload.js'
import {
  BALANCER_IMPLEMENTATION_NAMES,
  BALANCER_STRATEGY_NAMES,
  CACHE_STRATEGY_NAMES,
  DURABILITY_NAMES,
  ENVIRONMENT_NAMES,
  FAULT_ACTIONS,
  RESOURCE_ROLES,
  PARTITION_NAMES,
  SCENARIO_KINDS,
  STORE_NAMES,
  SYNC_BROKER_NAMES,
  SYNC_STRATEGY_NAMES,
  WRITE_POLICY_NAMES,
  NETWORK_FAULT_ACTIONS,
} from './scenario-names.js'
import { httpSpecSchema } from './http-scenario-schema.js'
import { parseLink } from './link-spec.js'

// The one description of a scenario file: the run-time check AND, inferred from it in
// scenario.ts, the types an editor shows (`z.input`: what the author writes, defaults optional;
// `z.output`: the same with the defaults filled in). The comments on the fields below are what
// the editor shows on hover. Strict objects everywhere: a misspelt field is an error, not
// silently ignored. Defaults live here, so everything after validation works on complete data.

const positiveInt = z.number().int().min(1)
const seconds = z.number().positive()

// The forms of the service's --service-time flag (the contract), checked here so a typo fails
// before any process starts.
export { SERVICE_TIME_PATTERN }
const serviceTime = z.string().regex(SERVICE_TIME_PATTERN, { message: 'expected `off`, `constant:<ms>` or `exp:<ms>` (for example "constant:5")' })

/** Emulated capacity of one process: its service time per request and how many requests it serves at once. */
export const emulationSchema = z.strictObject({
  /** `off`, `constant:<ms>` or `exp:<ms>` (exponentially distributed, that mean) per request. */
  serviceTime,
  /** Requests served at once (default 8). */
  slots: positiveInt.default(8),
  /** Requests waiting for a slot at most (default 64). */
  queueLimit: z.number().int().min(0).default(64),
})

const SYNC_DEFAULTS = { strategy: 'none', broker: 'rabbitmq', intervalMs: 1_000, batch: 500, drainTimeoutS: 60 } as const

// Docker's own bounds: a CPU quota below 0.01 core is refused, and a container under 6 MB cannot
// start; 16 MB is the least a CRM role could live in.
/** Docker limits of one member's container. */
export const resourcesSchema = z.strictObject({
  /** CPU quota in cores (0.5 = half a core). */
  cpus: z.number().min(0.01).max(256).optional(),
  /** Memory limit in MB. */
  memoryMb: z.number().int().min(16).optional(),
})

// Toxiproxy delays in whole milliseconds: 1.5 would be refused when the run starts, so say it now.
const wholeMs = z.number().int({ message: 'whole milliseconds (Toxiproxy has no finer delay; for 1-2 ms write latencyMs: 2, jitterMs: 1)' }).min(0)

/** How a network link behaves for the whole run (Toxiproxy, containers environment): latency and bandwidth. */
export const linkConditionSchema = z
  .strictObject({
    /** Added to each response on the link (whole ms), give or take up to `jitterMs` (latency 2, jitter 1: 1 or 2 ms). */
    latencyMs: wholeMs.optional(),
    jitterMs: wholeMs.optional(),
    /** The link's rate in KB/s. */
    rateKBps: z.number().int().min(1).optional(),
  })
  .refine((c) => c.latencyMs !== undefined || c.rateKBps !== undefined, { message: 'give `latencyMs` (and `jitterMs`) and/or `rateKBps`' })

const linkKey = z.string().superRefine((text, ctx) => {
  const parsed = parseLink(text)
  if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed })
})
const linksSchema = z.record(linkKey, linkConditionSchema)

/**
 * A downstream system keeping a copy of the customers, and how changes reach it:
 * `none` (no downstream), `sync-call` (each write calls downstream before it is acknowledged),
 * `queue-push` (each shard's outbox is published to `broker`, downstream consumes it) or
 * `scheduled-pull` (downstream asks the CRM for changes every `intervalMs`).
 */
export const syncSchema = z.strictObject({
  /** How the downstream system learns of customer changes (system-under-test/README.md, Sync strategies); default none. */
  strategy: z.enum(SYNC_STRATEGY_NAMES).default(SYNC_DEFAULTS.strategy),
  // A broker is used by queue-push only; the others ignore it, so one topology can carry it across a matrix of strategies.
  /** queue-push: the broker, also the name of its member (default rabbitmq; or kafka). */
  broker: z.enum(SYNC_BROKER_NAMES).default(SYNC_DEFAULTS.broker),
  /** scheduled-pull: ms between pulls when caught up (default 1000). */
  intervalMs: positiveInt.max(3_600_000).default(SYNC_DEFAULTS.intervalMs),
  /** Changes per pull (per shard) or broker messages in flight (default 500). */
  batch: positiveInt.max(5_000).default(SYNC_DEFAULTS.batch),
  /** After the load, how long to wait for downstream to catch up before counting what is missing (default 60 s). */
  drainTimeoutS: seconds.max(3_600).default(SYNC_DEFAULTS.drainTimeoutS),
})

export const topologySchema = z
  .strictObject({
    /** CRM replicas (default 1). */
    replicas: positiveInt.max(16).default(1),
    /** Shards the customers are partitioned over (default 1). */
    shards: positiveInt.max(16).default(1),
    /** Used when replicas > 1. */
    balancer: z
      .strictObject({
        /** How the balancer picks a replica (default round-robin). */
        strategy: z.enum(BALANCER_STRATEGY_NAMES).default('round-robin'),
        /** What runs the balancer: LoadLab's own Node.js balancer (`builtin`, the default), HAProxy or nginx. */
        implementation: z.enum(BALANCER_IMPLEMENTATION_NAMES).default('builtin'),
        /** Per replica, for the weighted strategies. */
        weights: z.array(positiveInt).optional(),
      })
      .default({ strategy: 'round-robin', implementation: 'builtin' }),
    /** How customers are spread over the shards (default hash). */
    partition: z.enum(PARTITION_NAMES).default('hash'),
    cache: z
      .strictObject({
        /** Default none. */
        strategy: z.enum(CACHE_STRATEGY_NAMES).default('none'),
        /** Entries per replica (default 10000). */
        size: positiveInt.default(10_000),
        /** Default 30000. */
        ttlMs: positiveInt.default(30_000),
        /** What a write does to the cache (default invalidate). */
        writePolicy: z.enum(WRITE_POLICY_NAMES).default('invalidate'),
      })
      .default({ strategy: 'none', size: 10_000, ttlMs: 30_000, writePolicy: 'invalidate' }),
    /** Where shards keep the customers: `embedded` (default) or `postgres`. */
    store: z.enum(STORE_NAMES).default('embedded'),
    /**
     * Embedded shards: `none` keeps data in memory only (a restarted shard comes back empty);
     * `everysec` and `always` append every change to a log in the run folder, replayed on restart
     * (fsync once a second / before each answer). Default `none`.
     */
    durability: z.enum(DURABILITY_NAMES).default('none'),
    /** Emulated service time, slots and queue of the replicas and/or shards (a CPU-heavy or slow tier without real work). */
    emulation: z.strictObject({ replica: emulationSchema.optional(), shard: emulationSchema.optional() }).default({}),
    /** Containers environment: CPU quota and memory limit per member kind. */
    resources: z.partialRecord(z.enum(RESOURCE_ROLES), resourcesSchema).default({}),
    /**
     * Containers environment: links that behave this way from the start, by link
     * (`'replicas -> redis': { latencyMs: 1.5 }`). A link the topology lacks (no redis) is ignored.
     */
    links: linksSchema.default({}),
    sync: syncSchema.default(SYNC_DEFAULTS),
  })
  .superRefine((t, ctx) => {
    // An embedded shard's service time is emulated; a PostgreSQL shard's is PostgreSQL's own.
    if (t.store === 'postgres' && t.emulation.shard !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['emulation', 'shard'],
        message:
          'emulation.shard emulates an embedded shard\'s service time; with store "postgres" the shards are PostgreSQL itself: remove emulation.shard, or use store "embedded"',
      })
    }
    if (t.store === 'postgres' && (t.sync.strategy === 'queue-push' || t.sync.strategy === 'scheduled-pull')) {
      ctx.addIssue({
        code: 'custom',
        path: ['sync', 'strategy'],
        message: `"${t.sync.strategy}" reads the shards' change feed, which only the embedded store keeps: use store "embedded", or sync strategy "sync-call" or "none"`,
      })
    }
  })

export const keysSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('uniform') }),
  z.strictObject({ kind: z.literal('zipf'), s: z.number().positive().max(5) }),
  z.strictObject({
    kind: z.literal('hotspot'),
    hotKeyShare: z.number().gt(0).lt(1),
    hotTrafficShare: z.number().gt(0).lt(1),
  }),
  z.strictObject({ kind: z.literal('latest'), s: z.number().positive().max(5) }),
])

const mixSchema = z.partialRecord(z.enum(OPERATIONS), z.number().min(0)).refine((mix) => Object.values(mix).some((w) => (w ?? 0) > 0), {
  message: `give at least one operation a weight > 0 (operations: ${OPERATIONS.join(', ')})`,
})

export const workloadSchema = z.strictObject({
  /** Operation -> weight: how often each CRM operation is drawn. */
  mix: mixSchema,
  /** Which customers the operations touch: uniform, zipf, hotspot or latest. */
  keys: keysSchema,
  /** Customers seeded before the load. */
  datasetSize: positiveInt.max(1_000_000),
  /** Seed of the random draws (default 1): the same seed gives the same sequence. */
  seed: z.number().int().default(1),
  /** A request slower than this is aborted and counted as failed (default 5000). */
  requestTimeoutMs: positiveInt.default(5_000),
})

const stageSchema = z.strictObject({ durationS: seconds, target: z.number().min(0) })

export const loadSchema = z.discriminatedUnion('model', [
  z.strictObject({
    /** Closed model: a fixed number of connections, each sending its next request when the previous one is answered. */
    model: z.literal('closed'),
    connections: positiveInt.max(10_000),
    durationS: seconds,
    /** Requests in flight per connection (HTTP pipelining; default 1). */
    pipelining: positiveInt.optional(),
  }),
  z
    .strictObject({
      /** Open model: arrivals at a set rate, whatever the answers take (either `rate` with `durationS`, or `stages`). */
      model: z.literal('open'),
      /** Constant arrival rate (req/s) for `durationS`. */
      rate: z.number().positive().optional(),
      durationS: seconds.optional(),
      /** Ramping arrival rate: each stage moves the rate linearly to `target` (req/s) over `durationS`. */
      stages: z.array(stageSchema).min(1).optional(),
      /** Requests in flight at most; an arrival beyond it is counted in dropped_iterations (default 256). */
      maxInFlight: positiveInt.default(256),
    })
    .superRefine((load, ctx) => {
      const constant = load.rate !== undefined
      const ramping = load.stages !== undefined
      if (constant === ramping) {
        ctx.addIssue({ code: 'custom', message: 'an open load needs either `rate` with `durationS`, or `stages` (not both)' })
      } else if (constant && load.durationS === undefined) {
        ctx.addIssue({ code: 'custom', path: ['durationS'], message: 'a constant open load needs `durationS` (seconds)' })
      }
    }),
])

export const thresholdsSchema = z.record(
  z.string(),
  z.array(z.union([z.string(), z.strictObject({ threshold: z.string(), abortOnFail: z.boolean().optional(), delayAbortEval: z.string().optional() })])),
)

const sloSchema = z.strictObject({
  latency: z.strictObject({ stat: z.enum(['p50', 'p90', 'p95', 'p99']), belowMs: z.number().positive() }),
  maxErrorRate: z.number().min(0).max(1),
})

export const stressSchema = z.strictObject({
  /** Open-model arrival rate of the first step (req/s). */
  startRate: z.number().positive(),
  step: z.number().positive(),
  maxRate: z.number().positive(),
  stepDurationS: seconds,
})

// Keys are checked against MATRIX_PATHS and values in place by validateScenario (with "allowed:"
// messages); the editor's typed view of a matrix is MatrixSpec in scenario.ts.
const matrixSchema = z.record(z.string(), z.array(z.union([z.string(), z.number()])).min(1))

// The warm-up lasts at least durationS and then goes on until per-second throughput and p95 stop
// improving, for at most maxS in all (default 3 × durationS; maxS = durationS: a fixed warm-up).
export const warmupSchema = z
  .strictObject({ durationS: z.number().min(0), maxS: z.number().min(0).optional() })
  .refine((w) => w.maxS === undefined || w.maxS >= w.durationS, {
    message: 'warmup.maxS must be at least warmup.durationS (the minimum warm-up)',
    path: ['maxS'],
  })

/** Shorter settings used by `--quick` (tests, a first look); anything left out gets a quick default. */
export const quickSchema = z.strictObject({
  load: loadSchema.optional(),
  /** Warm-up of a quick run (default 1 s, fixed). */
  warmup: warmupSchema.optional(),
  datasetSize: positiveInt.optional(),
  repetitions: positiveInt.optional(),
  stress: stressSchema.partial().optional(),
  matrix: matrixSchema.optional(),
})

export const faultSchema = z.strictObject({
  /** Seconds after the measured phase began. */
  atS: z.number().min(0),
  action: z.enum(FAULT_ACTIONS),
  /**
   * Member name as the environment lists it: 'replica-1', 'shard-0', 'balancer', 'redis', 'memcached', 'postgres', 'downstream', 'rabbitmq', 'kafka'. For a
   * network fault: every link into or out of that member.
   */
  member: z
    .string()
    .regex(/^(replica-\d+|shard-\d+|balancer|redis|memcached|postgres|downstream|rabbitmq|kafka)$/, {
      message: 'expected a member name: replica-<n> (from 1), shard-<n> (from 0), balancer, redis, memcached, postgres, downstream, rabbitmq or kafka',
    })
    .optional(),
  /** Network faults: one link or a group, `'replica-1 -> shard-0'`, `'replicas -> redis'`, `'balancer -> replica-2'`. */
  link: z.string().optional(),
  /** For 'slow': multiplies the member's emulated service time (1 = normal). */
  factor: z.number().positive().optional(),
  /** For 'cpus': the container's new CPU quota (cores). */
  cpus: z.number().min(0.01).max(256).optional(),
  /** For 'latency': added to each response on the link (whole ms), give or take up to `jitterMs`. */
  latencyMs: wholeMs.optional(),
  jitterMs: wholeMs.optional(),
  /** For 'bandwidth': the link's rate in KB/s. */
  rateKBps: z.number().int().min(1).optional(),
  /** For 'timeout' (data stops, the connection closes after this many ms; 0 = never) and 'reset' (reset after this many ms). */
  timeoutMs: z.number().int().min(0).optional(),
})

export const scenarioSchema = z
  .strictObject({
    name: z.string().min(1).max(120),
    kind: z.enum(SCENARIO_KINDS),
    description: z.string().default(''),
    /** Where the topology runs: 'local' processes (default) or 'containers'; `loadlab run --env` overrides it. */
    environment: z.enum(ENVIRONMENT_NAMES).default('local'),
    /** The topology LoadLab starts (processes or containers); leave out when `target` is set. */
    topology: topologySchema.optional(),
    /** URL of a system the user runs (loopback only); no topology is started. */
    target: z.string().optional(),
    /** Topology field path -> values; every combination of values is a run (cell). */
    matrix: matrixSchema.default({}),
    /** The CRM workload (operations over the reference service); with `target`, `http` may replace it. */
    workload: workloadSchema.optional(),
    /** The user's own HTTP service: requests and flows sent to `target`. */
    http: httpSpecSchema.optional(),
    load: loadSchema,
    /**
     * At least `durationS` seconds of load before measuring, then more until per-second throughput
     * and p95 stop improving, up to `maxS` in all (default 3 × durationS; equal to durationS for a
     * fixed warm-up).
     */
    warmup: warmupSchema.default({ durationS: 0 }),
    /** Runs per cell; 2 or more gives confidence intervals. */
    repetitions: positiveInt.max(50).default(1),
    faults: z.array(faultSchema).default([]),
    /** k6 grammar: `{ 'http_req_duration{op:get_customer}': ['p(95)<50'] }`. */
    thresholds: thresholdsSchema.default({}),
    slo: sloSchema.optional(),
    /** kind 'stress': the runner steps the open-model rate and stops once past the knee. */
    stress: stressSchema.optional(),
    /** kind 'scale-out': the load the capacity plan must serve, and the share of capacity kept free (default 0.3). */
    capacity: z.strictObject({ targetRps: z.number().positive(), headroom: z.number().min(0).lt(1).default(0.3) }).optional(),
    quick: quickSchema.optional(),
  })
  .superRefine((s, ctx) => {
    if (s.topology !== undefined && s.target !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['target'], message: 'give either `topology` (LoadLab starts it) or `target` (you run it), not both' })
    }
    if ((s.workload === undefined) === (s.http === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: s.workload === undefined ? ['workload'] : ['http'],
        message: 'give either `workload` (operations over the CRM) or `http` (requests to your own service at `target`), not both',
      })
    }
    if (s.http !== undefined && s.target === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['target'],
        message: '`http` sends requests to your own service: give its URL as `target` (for example "http://127.0.0.1:8080")',
      })
    }
    if (s.http !== undefined && s.load.model === 'closed' && (s.load.pipelining ?? 1) > 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['load', 'pipelining'],
        message: 'pipelining is not available with `http` (a flow waits for each response before its next step); leave it out',
      })
    }
    if (s.kind === 'stress') {
      if (s.stress === undefined) {
        ctx.addIssue({ code: 'custom', path: ['stress'], message: 'kind "stress" needs `stress: { startRate, step, maxRate, stepDurationS }`' })
      } else if (s.stress.maxRate < s.stress.startRate) {
        ctx.addIssue({ code: 'custom', path: ['stress', 'maxRate'], message: 'maxRate must be >= startRate' })
      }
      if (s.load.model !== 'open') {
        ctx.addIssue({ code: 'custom', path: ['load', 'model'], message: 'kind "stress" steps an arrival rate: use `model: "open"`' })
      }
    }
    for (const [i, f] of s.faults.entries()) {
      for (const problem of faultProblems(f)) ctx.addIssue({ code: 'custom', path: ['faults', i, ...problem.path], message: problem.message })
    }
  })

// Which parameter each fault action needs, and which it takes at all: a `latencyMs` on a "kill"
// is a mistake worth naming, not a value to ignore.
const FAULT_PARAMETERS: Record<(typeof FAULT_ACTIONS)[number], { needs?: string; example?: string; takes: readonly string[] }> = {
  kill: { takes: [] },
  pause: { takes: [] },
  resume: { takes: [] },
  restart: { takes: [] },
  slow: { needs: 'factor', example: '5 = five times slower', takes: ['factor'] },
  cpus: { needs: 'cpus', example: '0.25 = a quarter of a core', takes: ['cpus'] },
  latency: { needs: 'latencyMs', example: '2', takes: ['latencyMs', 'jitterMs'] },
  bandwidth: { needs: 'rateKBps', example: '100 = 100 KB/s', takes: ['rateKBps'] },
  timeout: { takes: ['timeoutMs'] },
  reset: { takes: ['timeoutMs'] },
  partition: { takes: [] },
  heal: { takes: [] },
}
const PARAMETER_FIELDS = ['factor', 'cpus', 'latencyMs', 'jitterMs', 'rateKBps', 'timeoutMs'] as const

function faultProblems(f: z.output<typeof faultSchema>): Array<{ path: string[]; message: string }> {
  const problems: Array<{ path: string[]; message: string }> = []
  const spec = FAULT_PARAMETERS[f.action]
  const network = (NETWORK_FAULT_ACTIONS as readonly string[]).includes(f.action)
  if (network) {
    if ((f.member === undefined) === (f.link === undefined)) {
      problems.push({
        path: ['link'],
        message: `a "${f.action}" fault needs either \`link\` (like 'replica-1 -> shard-0') or \`member\` (every link into or out of it), not both`,
      })
    } else if (f.link !== undefined) {
      const parsed = parseLink(f.link)
      if (typeof parsed === 'string') problems.push({ path: ['link'], message: parsed })
    }
  } else {
    if (f.member === undefined)
      problems.push({ path: ['member'], message: `a "${f.action}" fault needs \`member\` (replica-<n>, shard-<n>, balancer or redis)` })
    if (f.link !== undefined)
      problems.push({ path: ['link'], message: `\`link\` is for network faults (${NETWORK_FAULT_ACTIONS.join(', ')}); "${f.action}" acts on a \`member\`` })
  }
  if (spec.needs && f[spec.needs as (typeof PARAMETER_FIELDS)[number]] === undefined) {
    problems.push({ path: [spec.needs], message: `a "${f.action}" fault needs \`${spec.needs}\` (for example ${spec.example})` })
  }
  for (const field of PARAMETER_FIELDS) {
    if (f[field] !== undefined && !spec.takes.includes(field)) {
      const owners = Object.entries(FAULT_PARAMETERS)
        .filter(([, p]) => p.takes.includes(field))
        .map(([action]) => action)
      problems.push({ path: [field], message: `\`${field}\` is for ${owners.join(', ')} faults, not "${f.action}": remove it` })
    }
  }
  return problems
}

export type ParsedScenario = z.output<typeof scenarioSchema>
export type ParsedTopology = z.output<typeof topologySchema>

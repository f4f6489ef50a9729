import { z } from 'zod'
import { metricsDeltaSchema } from '../metrics/metrics-delta.js'
import { OPERATIONS } from '../workload/workload.js'
import { httpWorkloadSchema } from '../workload/http-workload.js'

// The agent protocol, version 2 (README.md in this folder describes it for people writing an
// agent or a coordinator). The agent opens one HTTP/1.1 connection to the coordinator and
// upgrades it (`GET /agents`, `Upgrade: loadlab-agent`, answered 101); from then on both sides
// write newline-delimited JSON: one message a line, each an object with a `type`. Local worker
// processes (`--agents N`) and remote agents (`loadlab agent --coordinator http://host:port`,
// e.g. pods of a Kubernetes Indexed Job) speak exactly these messages. Every message is
// validated here on arrival; one that does not parse ends the connection with a `reject`
// naming the problem.

/** Bumped on any incompatible change; a coordinator and an agent of different versions refuse each other. */
export const PROTOCOL_VERSION = 2

/** The HTTP upgrade that turns the agent's request into a message stream. */
export const UPGRADE_PATH = '/agents'
export const UPGRADE_PROTOCOL = 'loadlab-agent'

/** Longest line either side accepts (a large dataset travels in `assign`). */
export const MAX_LINE_BYTES = 256 * 1024 * 1024

const count = z.number().int().min(0)
const phase = z.number().int().min(1)

const keysSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('uniform') }),
  z.object({ kind: z.literal('zipf'), s: z.number().positive() }),
  z.object({ kind: z.literal('hotspot'), hotKeyShare: z.number().gt(0).lt(1), hotTrafficShare: z.number().gt(0).lt(1) }),
  z.object({ kind: z.literal('latest'), s: z.number().positive() }),
])

const loadSchema = z.discriminatedUnion('model', [
  z.object({
    model: z.literal('closed'),
    connections: z.number().int().min(1),
    durationS: z.number().positive(),
    pipelining: z.number().int().min(1).optional(),
  }),
  z.object({
    model: z.literal('open'),
    rate: z.number().positive().optional(),
    durationS: z.number().positive().optional(),
    stages: z.array(z.object({ durationS: z.number().min(0), target: z.number().min(0) })).optional(),
    maxInFlight: z.number().int().min(1),
  }),
])

export const workloadSchema = z.object({
  /** The user's own service's requests and flows (data rows and env values included: agents have neither the files nor the variables). */
  http: httpWorkloadSchema.optional(),
  mix: z.partialRecord(z.enum(OPERATIONS), z.number().min(0)),
  keys: keysSchema,
  /** 0 for an HTTP workload (nothing is seeded). */
  datasetSize: z.number().int().min(0),
  seed: z.number().int(),
  load: loadSchema,
  requestTimeoutMs: z.number().int().min(1),
})

const segmentSchema = z.object({ index: count, count: z.number().int().min(1) }).refine((s) => s.index < s.count, { message: 'index must be below count' })

export const scheduleLagSchema = z.object({
  p50Ms: z.number().min(0),
  p99Ms: z.number().min(0),
  maxMs: z.number().min(0),
  histogram: z.string().min(1).nullable(),
})

export const engineSummarySchema = z.object({
  engine: z.enum(['autocannon', 'native', 'k6']),
  durationS: z.number().min(0),
  sent: count,
  dropped: count,
  maxInFlight: count,
  generatorCpu: z.number().min(0),
  eventLoopLagP99Ms: z.number().min(0),
  scheduleLag: scheduleLagSchema.optional(),
  connections: z.object({ warm: count, openedDuringRun: count }).optional(),
  notes: z.array(z.string()),
})

/** Writes the run made since the previous report: acknowledged versions and created customer ids. */
const writesSchema = {
  /**
   * [customer id, acknowledged version, when the agent received the acknowledgement (ms since
   * epoch)] for each write acknowledged since the previous report; the time is what sync lag counts
   * from. Without it (an older agent) the coordinator takes the time the report arrived.
   */
  acks: z.array(z.union([z.tuple([z.string(), z.number().int(), z.number()]), z.tuple([z.string(), z.number().int()])])),
  /** Ids of customers created since the previous report. */
  created: z.array(z.string()),
}

// ---- agent -> coordinator ----

export const helloSchema = z.object({
  type: z.literal('hello'),
  protocol: z.number().int(),
  /** Which slice this agent runs (0-based) and of how many: from --index/--count or JOB_COMPLETION_INDEX. */
  index: count,
  count: z.number().int().min(1),
  /** The shared secret the coordinator was given (LOADLAB_AGENT_TOKEN), or '' when it has none. */
  token: z.string(),
  /** Who the agent is, for messages about it: its name (a pod name), pid, host, Node and LoadLab versions. */
  agent: z.object({ name: z.string(), pid: z.number().int(), host: z.string(), node: z.string(), version: z.string() }),
})

export const readySchema = z.object({ type: z.literal('ready'), phase })

export const progressSchema = z.object({ type: z.literal('progress'), phase, delta: metricsDeltaSchema.nullable(), ...writesSchema })

export const doneSchema = z.object({ type: z.literal('done'), phase, summary: engineSummarySchema })

export const failedSchema = z.object({ type: z.literal('failed'), phase, message: z.string() })

export const agentMessageSchema = z.discriminatedUnion('type', [helloSchema, readySchema, progressSchema, doneSchema, failedSchema])

// ---- coordinator -> agent ----

export const welcomeSchema = z.object({ type: z.literal('welcome'), protocol: z.number().int() })

export const rejectSchema = z.object({ type: z.literal('reject'), message: z.string() })

export const assignSchema = z.object({
  type: z.literal('assign'),
  phase,
  engine: z.enum(['autocannon', 'native']),
  workload: workloadSchema,
  target: z.url(),
  segment: segmentSchema,
  /** Customer ids the load addresses (index 0 = oldest); empty for an HTTP workload. */
  dataset: z.array(z.string()),
  /** Versions the harness saw acknowledged before this phase: [id, version]. */
  versions: z.array(z.tuple([z.string(), z.number().int()])),
  /** Makes this agent's created emails unique. */
  emailTag: z.string().optional(),
  /** How often the agent sends `progress` (ms). */
  reportIntervalMs: z.number().int().min(50).max(60_000),
})

export const startSchema = z.object({ type: z.literal('start'), phase })

export const stopSchema = z.object({ type: z.literal('stop'), phase })

export const shutdownSchema = z.object({ type: z.literal('shutdown') })

export const coordinatorMessageSchema = z.discriminatedUnion('type', [welcomeSchema, rejectSchema, assignSchema, startSchema, stopSchema, shutdownSchema])

export type AgentMessage = z.infer<typeof agentMessageSchema>
export type CoordinatorMessage = z.infer<typeof coordinatorMessageSchema>
export type Hello = z.infer<typeof helloSchema>
export type Assign = z.infer<typeof assignSchema>
export type Progress = z.infer<typeof progressSchema>
export type WireEngineSummary = z.infer<typeof engineSummarySchema>

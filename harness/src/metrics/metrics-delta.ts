import { decodeFromCompressedBase64, encodeIntoCompressedBase64, type Histogram } from 'hdr-histogram-js'
import { z } from 'zod'

// What a load agent measured since its previous report: exact HDR histograms and counters,
// additive by construction. The coordinator adds deltas from every agent into one RunRecorder,
// so merged percentiles are those of one histogram holding every sample (never averaged), and
// an agent that dies mid-run has already delivered everything up to its last delta.
//
// Histograms are hdr-histogram-js `encodeIntoCompressedBase64` (µs, the HdrHistogram V2
// compressed encoding every HdrHistogram port reads); null stands for an empty histogram.

const histogramText = z.string().min(1).nullable()

export const secondDeltaSchema = z.object({
  /** Whole seconds since the agent's measured phase began (by each request's intended start). */
  elapsedS: z.number().int().min(0),
  reqs: z.number().int().min(0),
  errors: z.number().int().min(0),
  dropped: z.number().int().min(0),
  /** Corrected latency of that second's requests. */
  histogram: histogramText,
})

export const operationDeltaSchema = z.object({ histogram: histogramText, fails: z.number().int().min(0) })

export const metricsDeltaSchema = z.object({
  /** Arrivals not sent because maxInFlight requests were outstanding (dropped_iterations). */
  dropped: z.number().int().min(0),
  /** Requests with status 0 or >= 400 (http_req_failed). */
  fails: z.number().int().min(0),
  passes: z.number().int().min(0),
  /** Requests by status code ('0' = no response). */
  statusCounts: z.record(z.string().regex(/^\d{1,3}$/), z.number().int().min(0)),
  staleReads: z.object({ count: z.number().int().min(0), checked: z.number().int().min(0) }),
  /** http_req_duration: latency from each request's intended start. */
  corrected: histogramText,
  /** Latency from the actual send; null when every request of this delta had the same value in both (closed model). */
  uncorrected: histogramText,
  perOperation: z.record(z.string().min(1), operationDeltaSchema),
  seconds: z.array(secondDeltaSchema),
  /** HTTP scenarios: check conditions that held (passes) and did not (fails); absent when none were evaluated. */
  checks: z.object({ passes: z.number().int().min(0), fails: z.number().int().min(0) }).optional(),
  /** Failed checks by op and condition since the previous report, each with its first failing response. */
  checkFailures: z
    .array(z.object({ op: z.string(), check: z.string(), count: z.number().int().min(1), status: z.number().int().min(0), body: z.string() }))
    .optional(),
})

export type SecondDelta = z.infer<typeof secondDeltaSchema>
export type MetricsDelta = z.infer<typeof metricsDeltaSchema>

/** Encodes a histogram for a delta; null when it holds nothing. */
export function encodeHistogram(h: Histogram): string | null {
  return h.totalCount === 0 ? null : encodeIntoCompressedBase64(h)
}

/** Adds an encoded histogram (from encodeHistogram) into `into`. Throws on text that is not an encoded histogram. */
export function addEncodedHistogram(into: Histogram, encoded: string | null): void {
  if (encoded === null) return
  into.add(decodeFromCompressedBase64(encoded, 32, false))
}

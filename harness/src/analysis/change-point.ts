import { createSeededRandom } from '../random/seeded-random.js'

// One shift in the mean of a series of run figures (the history a CI baseline folder holds):
// where it is, and whether it is real. A history that moved (an accepted slowdown, a new CI
// machine) must not be judged as one distribution: only the runs after the last shift describe
// what "normal" is now. The statistic is the largest standardized difference of means over
// every split (a mean-shift scan, the α = 2 case of the E-divisive family MongoDB's CI uses),
// and its p-value comes from a seeded permutation test, which assumes the runs are exchangeable
// when nothing changed.

export interface MeanShift {
  /** Index of the first value after the shift. */
  index: number
  /** Mean before and after (on the scale given). */
  before: number
  after: number
  /** Permutation p-value of the largest split statistic. */
  pValue: number
}

export interface MeanShiftOptions {
  /** Fewest values on each side of a split (default 3). */
  minSegment?: number
  /** Permutations for the p-value (default 999). */
  permutations?: number
  seed?: number
}

function maxSplitStatistic(xs: readonly number[], minSegment: number): { index: number; stat: number } {
  const n = xs.length
  const prefix = [0]
  const prefixSq = [0]
  let sum = 0
  let sumSq = 0
  for (const x of xs) {
    prefix.push((sum += x))
    prefixSq.push((sumSq += x * x))
  }
  let best = { index: -1, stat: 0 }
  for (let i = minSegment; i <= n - minSegment; i++) {
    const m1 = prefix[i]! / i
    const m2 = (sum - prefix[i]!) / (n - i)
    // Pooled within-segment variance: the two segments may sit at different levels.
    const ss1 = prefixSq[i]! - i * m1 * m1
    const ss2 = sumSq - prefixSq[i]! - (n - i) * m2 * m2
    const pooled = Math.max(0, ss1 + ss2) / (n - 2)
    const se = Math.sqrt(pooled * (1 / i + 1 / (n - i)))
    const stat = se > 0 ? Math.abs(m1 - m2) / se : m1 === m2 ? 0 : Number.POSITIVE_INFINITY
    if (stat > best.stat) best = { index: i, stat }
  }
  return best
}

/** The most likely single shift in `values` (finite, in time order); null when the series is too short. */
export function findMeanShift(xs: readonly number[], opts: MeanShiftOptions = {}): MeanShift | null {
  const minSegment = opts.minSegment ?? 3
  if (xs.length < 2 * minSegment) return null
  const observed = maxSplitStatistic(xs, minSegment)
  if (observed.index < 0) return null
  const permutations = opts.permutations ?? 999
  const rnd = createSeededRandom(opts.seed ?? 1)
  const shuffled = [...xs]
  let atLeast = 0
  for (let p = 0; p < permutations; p++) {
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = rnd.int(i + 1)
      ;[shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!]
    }
    if (maxSplitStatistic(shuffled, minSegment).stat >= observed.stat) atLeast++
  }
  const before = xs.slice(0, observed.index)
  const after = xs.slice(observed.index)
  return {
    index: observed.index,
    before: before.reduce((s, v) => s + v, 0) / before.length,
    after: after.reduce((s, v) => s + v, 0) / after.length,
    pValue: (atLeast + 1) / (permutations + 1),
  }
}

import { OPERATIONS, type OperationName } from './workload.js'
import type { SeededRandom } from '../random/seeded-random.js'

export interface OperationPicker {
  /** Called once per request: the operation to send, drawn by weight. */
  pick(): OperationName
  /** The operations with a positive weight, in OPERATIONS order. */
  readonly operations: readonly OperationName[]
}

/** Weighted choice over the workload's mix; a mix with no positive weight is a user error. */
export function createOperationPicker(mix: Partial<Record<OperationName, number>>, rng: SeededRandom): OperationPicker {
  const ops: OperationName[] = []
  const cumulative: number[] = []
  let total = 0
  for (const op of OPERATIONS) {
    const w = mix[op] ?? 0
    if (!Number.isFinite(w) || w < 0) throw new Error(`workload.mix.${op} must be a number >= 0, got ${w}`)
    if (w === 0) continue
    total += w
    ops.push(op)
    cumulative.push(total)
  }
  const [first] = ops
  if (first === undefined) {
    throw new Error(`workload.mix has no operation with a positive weight; give at least one of ${OPERATIONS.join(', ')} a weight > 0`)
  }
  if (ops.length === 1) return { pick: () => first, operations: ops }
  return {
    operations: ops,
    pick: () => {
      const u = rng.next() * total
      for (let i = 0; i < cumulative.length; i++) if (u < cumulative[i]!) return ops[i]!
      return ops[ops.length - 1]!
    },
  }
}

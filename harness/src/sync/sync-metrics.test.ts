import { describe, expect, it } from 'vitest'
import { computeSyncFigures, errorsPerSecond, recoveryAfterFaults } from './sync-metrics.js'

const T0 = 1_000_000

describe('sync figures', () => {
  it('lag runs from the acknowledgement to the first change downstream applied with that version or a newer one', () => {
    const acks = [
      { id: 'a', version: 1, atMs: T0 + 100 },
      { id: 'a', version: 2, atMs: T0 + 200 },
      { id: 'b', version: 4, atMs: T0 + 1_500 },
    ]
    // a@1 arrives 50 ms after its ack; a@2 never arrives alone but a@3 covers it; b@4 arrives before its ack (sync-call).
    const applied: Array<[string, number, number]> = [
      ['a', 1, T0 + 150],
      ['a', 3, T0 + 2_200],
      ['b', 4, T0 + 1_400],
    ]
    const f = computeSyncFigures(acks, applied, T0, 3)
    expect(f.lag.count).toBe(3)
    expect(f.lag.min).toBe(0)
    expect(f.lag.max).toBe(2_000)
    expect(f.lagPerSecond.map((s) => [s.elapsedS, s.acks, s.max])).toEqual([
      [0, 2, 2_000],
      [1, 1, 0],
    ])
    // End of second 0: a@2 waits; end of second 1: still; end of second 2: delivered.
    expect(f.backlog).toEqual([1, 1, 0])
  })

  it('a version downstream never got stays in the backlog to the end and has no lag', () => {
    const f = computeSyncFigures([{ id: 'x', version: 1, atMs: T0 + 10 }], [], T0, 2)
    expect(f.backlog).toEqual([1, 1])
    expect(f.lag.count).toBe(0)
  })

  it('recovery: from the last broker or downstream fault until the backlog is back at its level before the faults', () => {
    const backlog = [2, 2, 3, 40, 80, 120, 60, 10, 2, 2]
    expect(
      recoveryAfterFaults(backlog, [
        { elapsedS: 3, member: 'rabbitmq', action: 'kill' },
        { elapsedS: 5, member: 'rabbitmq', action: 'restart' },
      ]),
    ).toBe(4)
    expect(
      recoveryAfterFaults(backlog, [
        { elapsedS: 3, member: 'kafka', action: 'kill' },
        { elapsedS: 5, member: 'kafka', action: 'restart' },
      ]),
    ).toBe(4)
    expect(recoveryAfterFaults(backlog, [{ elapsedS: 3, member: 'replica-1', action: 'kill' }])).toBeNull()
    expect(recoveryAfterFaults([0, 0, 50, 60], [{ elapsedS: 2, member: 'downstream', action: 'kill' }])).toBeNull()
  })
})

describe('errorsPerSecond', () => {
  it('indexes failed requests by second, 0 for seconds without a point', () => {
    expect(
      errorsPerSecond([
        { elapsedS: 0, errors: 0 },
        { elapsedS: 2, errors: 5 },
      ]),
    ).toEqual([0, 0, 5])
    // sync-call: writes fail from the kill until downstream is back; recovery is counted on them.
    expect(
      recoveryAfterFaults(errorsPerSecond([0, 0, 9, 12, 11, 3, 0].map((errors, elapsedS) => ({ elapsedS, errors }))), [
        { elapsedS: 2, member: 'downstream', action: 'kill' },
        { elapsedS: 4, member: 'downstream', action: 'restart' },
      ]),
    ).toBe(3)
  })
})

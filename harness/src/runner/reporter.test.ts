import { describe, expect, it } from 'vitest'
import { type Reporter, type ReporterFailure, Reporters } from './reporter.js'

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('Reporters', () => {
  it('runs one reporter’s hooks in the order they were emitted, each after the previous one finished', async () => {
    const seen: string[] = []
    const slow: Reporter = {
      async onPhase(_run, phase) {
        await tick(phase === 'starting' ? 30 : 0)
        seen.push(`phase ${phase}`)
      },
      async onSkip(_run, reason) {
        seen.push(`skip ${reason}`)
      },
    }
    const reporters = new Reporters([slow])
    const run = {} as never
    void reporters.emit('onPhase', run, 'starting')
    void reporters.emit('onPhase', run, 'seeding')
    await reporters.emit('onSkip', run, 'past the knee')
    expect(seen).toEqual(['phase starting', 'phase seeding', 'skip past the knee'])
  })

  it('resolves emit only once every reporter has finished the hook (a file reporter has written its file)', async () => {
    let written = false
    const reporters = new Reporters([
      {
        async onEnd() {
          await tick(20)
          written = true
        },
      },
    ])
    await reporters.emit('onEnd', {} as never)
    expect(written).toBe(true)
  })

  it('hands a failing hook to onError, naming the reporter, and still runs its later hooks and the other reporters', async () => {
    const failures: ReporterFailure[] = []
    const ends: string[] = []
    const broken: Reporter = {
      name: 'broken',
      onPlan() {
        throw new Error('disk full')
      },
      onEnd() {
        ends.push('broken')
      },
    }
    const fine: Reporter = { onEnd: () => void ends.push('fine') }
    const reporters = new Reporters([broken, fine], (f) => failures.push(f))
    await reporters.emit('onPlan', {} as never)
    await reporters.emit('onEnd', {} as never)
    expect(failures).toHaveLength(1)
    expect(failures[0]).toMatchObject({ reporter: 'broken', hook: 'onPlan' })
    expect(String(failures[0]?.error)).toContain('disk full')
    expect(ends).toEqual(['broken', 'fine'])
  })
})

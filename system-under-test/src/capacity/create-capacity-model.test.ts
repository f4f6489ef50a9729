import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { CapacityOptions } from './capacity-model.js'
import { createCapacityModel, DEFAULT_CAPACITY, parseServiceTime } from './create-capacity-model.js'

const options = (o: Partial<CapacityOptions>): CapacityOptions => ({ ...DEFAULT_CAPACITY, ...o })

describe('parseServiceTime', () => {
  it('accepts off, constant:<ms> and exp:<ms>', () => {
    expect(parseServiceTime('off')).toEqual({ kind: 'off' })
    expect(parseServiceTime('constant:5')).toEqual({ kind: 'constant', ms: 5 })
    expect(parseServiceTime('exp:2.5')).toEqual({ kind: 'exponential', meanMs: 2.5 })
  })

  it.each(['fast', 'constant', 'constant:', 'constant:-1', 'exp:abc', 'uniform:5', ''])(
    'refuses %j with a message naming the value and the accepted forms',
    (bad) => {
      expect(() => parseServiceTime(bad)).toThrow(`"${bad}"`)
      expect(() => parseServiceTime(bad)).toThrow(/off.*constant:<ms>.*exp:<ms>/)
    },
  )
})

describe('createCapacityModel', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('has the documented defaults', () => {
    expect(DEFAULT_CAPACITY).toEqual({ serviceTime: { kind: 'off' }, slots: 8, queueLimit: 64, slowdown: 1 })
  })

  it('with the service time off admits at once, without limits or timers', async () => {
    const model = createCapacityModel(options({ slots: 1, queueLimit: 0 }))
    const releases = await Promise.all(Array.from({ length: 50 }, () => model.admit()))
    expect(releases.every((r) => typeof r === 'function')).toBe(true)
    expect(vi.getTimerCount()).toBe(0)
    expect(model.stats()).toMatchObject({ inService: 50, rejected: 0 })
    for (const release of releases) release!()
    expect(model.stats()).toMatchObject({ inService: 0, served: 50 })
  })

  it('never has more than `slots` requests in service at once', async () => {
    const model = createCapacityModel(options({ serviceTime: { kind: 'constant', ms: 10 }, slots: 3, queueLimit: 100 }))
    let inHandler = 0
    let maxInHandler = 0
    const request = async (): Promise<void> => {
      const release = await model.admit()
      if (!release) throw new Error('unexpected rejection')
      inHandler++
      maxInHandler = Math.max(maxInHandler, inHandler)
      await new Promise((r) => setTimeout(r, 5)) // the handler's own work
      inHandler--
      release()
    }
    const all = Promise.all(Array.from({ length: 10 }, request))
    await vi.advanceTimersByTimeAsync(1)
    expect(model.stats()).toMatchObject({ inService: 3, queued: 7 })
    await vi.advanceTimersByTimeAsync(200)
    await all
    expect(maxInHandler).toBe(3)
    expect(model.stats()).toMatchObject({ inService: 0, queued: 0, served: 10, rejected: 0 })
  })

  it('refuses at once (null) beyond the queue limit, and counts it', async () => {
    const model = createCapacityModel(options({ serviceTime: { kind: 'constant', ms: 10 }, slots: 1, queueLimit: 2 }))
    const first = model.admit()
    const queued = [model.admit(), model.admit()]
    expect(await model.admit()).toBeNull()
    expect(model.stats()).toMatchObject({ inService: 1, queued: 2, rejected: 1 })
    await vi.advanceTimersByTimeAsync(10)
    ;(await first)!()
    await vi.advanceTimersByTimeAsync(10)
    ;(await queued[0])!()
    await vi.advanceTimersByTimeAsync(10)
    ;(await queued[1])!()
    expect(model.stats()).toMatchObject({ inService: 0, queued: 0, served: 3, rejected: 1 })
  })

  it('gives a freed slot to the waiters in arrival (FIFO) order', async () => {
    const model = createCapacityModel(options({ serviceTime: { kind: 'constant', ms: 0 }, slots: 1, queueLimit: 10 }))
    const order: string[] = []
    const admitted = (name: string) =>
      model.admit().then((release) => {
        order.push(name)
        return release!
      })
    const a = admitted('a')
    const b = admitted('b')
    const c = admitted('c')
    const d = admitted('d')
    ;(await a)()
    ;(await b)()
    ;(await c)()
    ;(await d)()
    expect(order).toEqual(['a', 'b', 'c', 'd'])
  })

  it('a release called twice frees only one slot', async () => {
    const model = createCapacityModel(options({ serviceTime: { kind: 'constant', ms: 0 }, slots: 1, queueLimit: 10 }))
    const release = (await model.admit())!
    const second = model.admit()
    const third = model.admit()
    release()
    release()
    await second
    expect(model.stats()).toMatchObject({ inService: 1, queued: 1 })
    ;(await second)!()
    ;(await third)!()
  })

  it('the service time multiplied by slowdown passes before admit resolves', async () => {
    const model = createCapacityModel(options({ serviceTime: { kind: 'constant', ms: 10 }, slowdown: 3 }))
    let resolved = false
    const admitted = model.admit().then((r) => {
      resolved = true
      return r
    })
    await vi.advanceTimersByTimeAsync(29)
    expect(resolved).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    expect(resolved).toBe(true)
    ;(await admitted)!()

    model.setSlowdown(1) // back to normal: 10 ms
    resolved = false
    const again = model.admit().then((r) => {
      resolved = true
      return r
    })
    await vi.advanceTimersByTimeAsync(10)
    expect(resolved).toBe(true)
    ;(await again)!()
    expect(() => model.setSlowdown(0)).toThrow(/slowdown/)
  })

  it('draws exponential service times with the given mean (scaled by slowdown)', async () => {
    // u = 1 - e^-1 makes the inverse CDF give exactly the mean.
    const model = createCapacityModel(options({ serviceTime: { kind: 'exponential', meanMs: 20 }, slowdown: 2 }), {
      random: () => 1 - Math.exp(-1),
    })
    let resolved = false
    const admitted = model.admit().then((r) => {
      resolved = true
      return r
    })
    await vi.advanceTimersByTimeAsync(39)
    expect(resolved).toBe(false)
    await vi.advanceTimersByTimeAsync(2)
    expect(resolved).toBe(true)
    ;(await admitted)!()
  })

  it('exponential service times average the mean over many requests', async () => {
    let seed = 42
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648 // deterministic LCG
      return seed / 2147483648
    }
    const model = createCapacityModel(options({ serviceTime: { kind: 'exponential', meanMs: 10 }, slots: 1, queueLimit: 10_000 }), { random })
    const n = 2000
    const all = Promise.all(Array.from({ length: n }, () => model.admit().then((r) => r!())))
    const started = Date.now()
    await vi.runAllTimersAsync()
    await all
    const meanMs = (Date.now() - started) / n
    expect(meanMs).toBeGreaterThan(9)
    expect(meanMs).toBeLessThan(11)
  })

  it('a client that goes away frees its place in the queue and its slot', async () => {
    const model = createCapacityModel(options({ serviceTime: { kind: 'constant', ms: 10 }, slots: 1, queueLimit: 5 }))
    const holder = model.admit()
    const leaving = new AbortController()
    const gone = model.admit(leaving.signal)
    const next = model.admit()
    leaving.abort()
    expect(await gone).toBeNull()
    expect(model.stats()).toMatchObject({ queued: 1, abandoned: 1 })
    await vi.advanceTimersByTimeAsync(10)
    ;(await holder)!()
    await vi.advanceTimersByTimeAsync(10)
    const release = await next
    expect(release).toBeTypeOf('function')
    release!()

    // Aborted during its service time: the slot comes back at once.
    const working = new AbortController()
    const inService = model.admit(working.signal)
    await vi.advanceTimersByTimeAsync(5)
    working.abort()
    expect(await inService).toBeNull()
    expect(model.stats()).toMatchObject({ inService: 0, queued: 0, abandoned: 2 })
    expect(vi.getTimerCount()).toBe(0)
  })

  it('refuses bad options with a message naming them', () => {
    expect(() => createCapacityModel(options({ slots: 0 }))).toThrow(/--slots 0/)
    expect(() => createCapacityModel(options({ queueLimit: -1 }))).toThrow(/--queue-limit -1/)
  })
})

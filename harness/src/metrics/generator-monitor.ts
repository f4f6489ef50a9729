import { monitorEventLoopDelay } from 'node:perf_hooks'

// Is the load generator itself the bottleneck? CPU time of this process over wall time (1.0 =
// one core saturated: Node runs the engine on one thread) and the event loop's lag p99. A
// generator above ~0.9 of a core or with a lag p99 of tens of ms under-reports throughput and
// over-reports latency; the runner turns these into validity notes.

export interface GeneratorHealth {
  /** Share of one core used by this process between start and stop (user + system). */
  cpu: number
  /** Event-loop delay p99 in ms. */
  eventLoopLagP99Ms: number
}

export class GeneratorMonitor {
  private readonly histogram = monitorEventLoopDelay({ resolution: 10 })
  private cpuStart = process.cpuUsage()
  private wallStart = performance.now()

  /** Called when the measured phase begins. */
  start(): void {
    this.cpuStart = process.cpuUsage()
    this.wallStart = performance.now()
    this.histogram.reset()
    this.histogram.enable()
  }

  /** Called when it ends; the monitor can be started again. */
  stop(): GeneratorHealth {
    this.histogram.disable()
    const cpu = process.cpuUsage(this.cpuStart)
    const wallUs = (performance.now() - this.wallStart) * 1000
    const lagNs = this.histogram.count > 0 ? this.histogram.percentile(99) : 0
    return {
      cpu: wallUs > 0 ? (cpu.user + cpu.system) / wallUs : 0,
      // monitorEventLoopDelay includes its own sampling resolution (10 ms); subtract it so an idle loop reads ~0.
      eventLoopLagP99Ms: Math.max(0, lagNs / 1e6 - 10),
    }
  }
}

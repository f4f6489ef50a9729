import type { Sample, SampleSink } from '../metrics/sample.js'

// Engines hand samples to the sink in batches (fewer calls, one timestamp check per batch) but
// never hold them longer than `maxDelayMs`, so live progress stays live.

export class SampleBatcher {
  private buffer: Sample[] = []
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly sink: SampleSink,
    private readonly maxBatch = 256,
    private readonly maxDelayMs = 100,
  ) {}

  /** Called by the engine for each finished or dropped request. */
  push(s: Sample): void {
    this.buffer.push(s)
    if (this.buffer.length >= this.maxBatch) this.flush()
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.maxDelayMs)
      this.timer.unref()
    }
  }

  /** Called at the end of the run (and by the timer). */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer)
      this.timer = undefined
    }
    if (this.buffer.length === 0) return
    const batch = this.buffer
    this.buffer = []
    try {
      this.sink.add(batch)
    } catch {
      // A sink must not throw (SampleSink contract); if one does, the engine keeps going.
    }
  }
}

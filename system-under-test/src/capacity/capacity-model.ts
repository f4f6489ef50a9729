// The emulated capacity of one process (replica or shard server): requests take a service time
// and hold one of a limited number of slots; waiting requests queue up to a limit, beyond which
// they are refused (503 + Retry-After). Capacity then comes from the model, not from the host's
// two cores, which is what lets scale-out be studied on one machine.

export interface CapacityOptions {
  /** 'off' = full speed, no limits. */
  serviceTime: { kind: 'off' } | { kind: 'constant'; ms: number } | { kind: 'exponential'; meanMs: number }
  /** Concurrent requests served at once. */
  slots: number
  /** Requests allowed to wait for a slot; one more is refused. */
  queueLimit: number
  /** Multiplies every service time: lets a test make one member N times slower at run time. */
  slowdown: number
}

export interface CapacityStats {
  /** Requests holding a slot now (emulated work or their real handler). */
  inService: number
  /** Requests waiting for a slot now. */
  queued: number
  /** Requests refused because the queue was full (answered 503). */
  rejected: number
  /** Requests that released their slot. */
  served: number
  /** Requests whose client went away while they waited or worked (their slot was freed). */
  abandoned: number
}

export interface CapacityModel {
  /**
   * Called once per request before the handler runs. Resolves when the request has a slot and
   * its emulated service time has passed; returns a release function to call when the response
   * is done. Resolves to null when the queue is full (the caller answers 503), or when `signal`
   * aborts (the client went away) before the request got through: its place or slot is then
   * freed. With serviceTime 'off' it resolves at once, with no limits and no timers.
   */
  admit(signal?: AbortSignal): Promise<(() => void) | null>
  /** Called by the admin endpoint to slow this member down or restore it (factor 1). */
  setSlowdown(factor: number): void
  /** Called by /metrics scrapes (crm_capacity_in_service, crm_capacity_queued, ..._rejected_total). */
  stats(): CapacityStats
}

import os from 'node:os'
import type { SuiteResult } from '../results/results-schema.js'

/** The machine a suite ran on, stored in results.json so numbers are read in context. */
export function machineInfo(): SuiteResult['machine'] {
  const cpus = os.cpus()
  return {
    hostname: os.hostname(),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryMb: Math.round(os.totalmem() / 1024 / 1024),
    node: process.version,
  }
}

import { spawn, spawnSync } from 'node:child_process'
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { findOnPath } from '../environment/find-on-path.js'

// Vegeta (github.com/tsenart/vegeta, MIT), the reference open-model load generator, for the
// side-by-side benchmark. `.ci/install-deps bench` builds it with `go install` when Go is
// present; the benchmark looks for it on PATH and in Go's bin folder and says so when it is
// missing.

export const VEGETA_MODULE = 'github.com/tsenart/vegeta/v12@latest'

/** The vegeta binary, or null with the reason. */
export function findVegeta(): { bin: string } | { missing: string } {
  const onPath = findOnPath('vegeta')
  if (onPath) return { bin: onPath }
  const go = spawnSync('go', ['env', 'GOPATH'], { encoding: 'utf8' })
  if (go.error) return { missing: `Go is not installed, so Vegeta (go install ${VEGETA_MODULE}) is not built: the Vegeta comparison is skipped` }
  const bin = path.join(go.stdout.trim(), 'bin', 'vegeta')
  try {
    accessSync(bin, constants.X_OK)
    return { bin }
  } catch {
    return { missing: `Vegeta is not built: run \`.ci/install-deps bench\` (go install ${VEGETA_MODULE}); the Vegeta comparison is skipped` }
  }
}

export interface VegetaResult {
  /** Requests sent, and the rate they were sent at (req/s). */
  requests: number
  sentRate: number
  /** Successful (2xx/3xx) responses per second of the planned duration. */
  achieved: number
  success: number
  p50Ms: number
  p99Ms: number
  errors: string[]
  /** CPU time (user + system) of the vegeta process per request, µs. */
  cpuUsPerRequest: number
}

interface VegetaReport {
  latencies: { '50th': number; '99th': number }
  requests: number
  rate: number
  success: number
  errors: string[] | null
}

/** `vegeta attack` at `rate` for `durationS` over GET <origin>/customers/1..1000 (the LoadLab bench workload's requests), then `vegeta report`. */
export async function runVegeta(bin: string, origin: string, rate: number, durationS: number): Promise<VegetaResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'loadlab-vegeta-'))
  try {
    const targets = path.join(dir, 'targets.txt')
    writeFileSync(targets, `${Array.from({ length: 1000 }, (_, i) => `GET ${origin}/customers/${i + 1}`).join('\n')}\n`)
    const results = path.join(dir, 'results.bin')
    // bash's `times` prints the CPU time of the shell's children (vegeta) when it is done.
    const script = `"$0" attack -rate=${rate}/s -duration=${durationS}s -timeout=10s -targets="$1" -output="$2" && times`
    const attack = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const child = spawn('bash', ['-c', script, bin, targets, results], { stdio: ['ignore', 'pipe', 'pipe'] })
      let out = ''
      let err = ''
      child.stdout.on('data', (d: Buffer) => (out += d.toString()))
      child.stderr.on('data', (d: Buffer) => (err += d.toString()))
      child.on('exit', (code) => resolve({ code, out, err }))
    })
    if (attack.code !== 0) throw new Error(`vegeta attack failed (exit ${attack.code}): ${attack.err.trim().slice(0, 300)}`)
    const report = spawnSync(bin, ['report', '-type=json', results], { encoding: 'utf8' })
    if (report.status !== 0) throw new Error(`vegeta report failed: ${report.stderr.trim().slice(0, 300)}`)
    const r = JSON.parse(report.stdout) as VegetaReport
    // `times`: line 1 the shell's user/sys, line 2 its children's, as "0m1.234s 0m0.567s".
    const seconds = (t: string): number => {
      const m = /(\d+)m([\d.]+)s/.exec(t)
      return m ? Number(m[1]) * 60 + Number(m[2]) : 0
    }
    const children = attack.out.trim().split('\n').at(-1)?.split(/\s+/) ?? []
    const cpuS = seconds(children[0] ?? '') + seconds(children[1] ?? '')
    return {
      requests: r.requests,
      sentRate: r.rate,
      achieved: (r.requests * r.success) / durationS,
      success: r.success,
      p50Ms: r.latencies['50th'] / 1e6,
      p99Ms: r.latencies['99th'] / 1e6,
      errors: r.errors ?? [],
      cpuUsPerRequest: r.requests > 0 ? (cpuS * 1e6) / r.requests : Number.NaN,
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

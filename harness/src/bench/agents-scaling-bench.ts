import { spawnSync } from 'node:child_process'
import os from 'node:os'
import { pathToFileURL } from 'node:url'
import { AgentEngine } from '../agents/agent-engine.js'
import { freePort } from '../environment/free-port.js'
import { startBenchServer } from './bench-server.js'
import { benchDurationS, highestSustained, loadlabOpen, printChecks, type Check } from './open-engine-bench.js'

// `make bench` (agents): does sharing the load by two agents raise the highest sustained open
// rate? The machine's cores are split in two sets (taskset): the target - a node:cluster
// server, one worker per core of its set - on one, this process and its agents on the other, so
// the generator and the server never compete. Target: --agents 2 sustains >= 1.6x the rate of
// --agents 1 where there are at least 4 cores. On fewer the split leaves one core for the agents:
// two agents then share it, and the benchmark reports what that does instead of judging it.

const MIN_CORES = 4
const TARGET_RATIO = 1.6

function cpuList(from: number, to: number): string {
  return from === to ? String(from) : `${from}-${to}`
}

export async function runAgentsScalingBench(durationS: number): Promise<Check[]> {
  const cores = os.availableParallelism()
  const judged = cores >= MIN_CORES
  const agentCores = judged ? cpuList(0, cores / 2 - 1) : '0'
  const targetCores = judged ? cpuList(Math.floor(cores / 2), cores - 1) : cpuList(Math.min(1, cores - 1), cores - 1)
  const targetWorkers = judged ? cores - Math.floor(cores / 2) : 1
  // Children (the agents) inherit this process's cores; -a moves every thread of it.
  const pin = spawnSync('taskset', ['-a', '-p', '-c', agentCores, String(process.pid)], { encoding: 'utf8' })
  if (pin.error || pin.status !== 0)
    console.log(
      `  could not pin the generator to cores ${agentCores} (taskset: ${pin.error?.message ?? pin.stderr.trim()}): generator and target share the machine's cores`,
    )
  const stepS = Math.max(2, Math.round(durationS / 3))
  console.log(
    `load agents scaling: ${cores} cores; target on cores ${targetCores} (${targetWorkers} node:http worker${targetWorkers > 1 ? 's' : ''}), agents on cores ${agentCores}; ${stepS} s rate steps`,
  )
  const server = await startBenchServer({ workers: targetWorkers, cpus: targetCores, port: await freePort() })
  const best: number[] = []
  try {
    for (const agents of [1, 2]) {
      const engine = new AgentEngine({ engine: 'native', agents })
      try {
        await loadlabOpen(engine, server.url, 1000, 1) // JIT and connections warm
        best.push(await highestSustained(`${agents} agent${agents > 1 ? 's' : ''}`, (rate) => loadlabOpen(engine, server.url, rate, stepS)))
      } finally {
        await engine.close()
      }
    }
  } finally {
    await server.stop()
  }
  const ratio = best[1]! / Math.max(1, best[0]!)
  if (!judged) {
    console.log(
      `  on ${cores} core(s) both agents share core ${agentCores} (the other runs the target): a second agent adds a process but no CPU, ` +
        `so no gain is possible here - the figures show what the split costs. The ${TARGET_RATIO}x target is judged on >= ${MIN_CORES} cores.`,
    )
  }
  return [
    {
      name: `highest sustained rate, --agents 2 / --agents 1${judged ? '' : ` (not judged on ${cores} cores)`}`,
      value: `${best[1]} / ${best[0]} = ${ratio.toFixed(2)}`,
      target: `>= ${TARGET_RATIO}${judged ? '' : ` with >= ${MIN_CORES} cores`}`,
      met: judged ? ratio >= TARGET_RATIO : true,
      judged,
    },
  ]
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runAgentsScalingBench(benchDurationS()).then(
    (checks) => process.exit(printChecks('load agents scaling', checks) ? 0 : 99),
    (err: unknown) => {
      console.error(err)
      process.exit(1)
    },
  )
}

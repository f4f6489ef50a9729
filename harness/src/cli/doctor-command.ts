import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import { CHOICE_KINDS, type RequiredProgram } from '#crm-contract'
import type { Command } from 'commander'
import { reapDeadRuns } from '../environment/containers/container-reaper.js'
import { dockerRuntime } from '../environment/containers/docker-runtime.js'
import { imageStatus } from './images-command.js'
import { SUT_MAIN } from '../environment/local-environment.js'
import { findOnPath } from '../environment/find-on-path.js'
import { freePort } from '../environment/free-port.js'
import { findPostgresBinDir } from '../environment/local-postgres.js'
import { findJava, KAFKA_VERSION, kafkaClassPath } from '../environment/kafka-server.js'
import { RABBITMQ_SERVER } from '../environment/rabbitmq-server.js'
import { describeReaped, reapLeftovers } from '../environment/reap-leftovers.js'

const run = promisify(execFile)

export interface DoctorCheck {
  name: string
  ok: boolean
  detail: string
  /** What does not work without it (shown when missing). */
  disables: string
  /** Missing an essential piece makes `doctor` exit 1. */
  essential: boolean
}

async function version(command: string, args: string[]): Promise<string | null> {
  try {
    const { stdout, stderr } = await run(command, args, { timeout: 5_000 })
    return (stdout || stderr).trim().split('\n')[0] ?? ''
  } catch {
    return null
  }
}

function binaryCheck(name: string, file: string | null, disables: string, versionText: string | null = null): DoctorCheck {
  return { name, ok: file !== null, detail: file ? `${file}${versionText ? ` (${versionText})` : ''}` : 'not found', disables, essential: false }
}

/** A program some strategy of the CRM service needs, and the choices it enables ('cache strategy "redis"'). */
export interface ProgramNeed extends RequiredProgram {
  enables: string[]
}

/** Every program the service's strategies need, from its contract, in the order `doctor` lists them. */
export function programsTheStrategiesNeed(): ProgramNeed[] {
  const needs = new Map<string, ProgramNeed>()
  for (const kind of CHOICE_KINDS) {
    for (const name of kind.names) {
      const requires = kind.info[name]?.requires
      if (!requires) continue
      const need = needs.get(requires.program) ?? { ...requires, enables: [] }
      need.enables.push(`${kind.label} "${name}"`)
      needs.set(requires.program, need)
    }
  }
  return [...needs.values()]
}

/** What the local environment does with a program, said beside the choices it enables. */
const WHERE_IT_RUNS: Record<string, string[]> = {
  postgres: ['(the local environment runs its own cluster; --env containers a PostgreSQL container per shard)'],
}

/**
 * Where the local environment finds a program: on PATH, except two that Debian keeps elsewhere
 * (PostgreSQL's server programs, RabbitMQ's start script that does not switch users).
 */
async function locateProgram(program: string): Promise<string | null> {
  if (program === 'postgres') {
    const bin = await findPostgresBinDir().catch(() => null)
    return bin === null ? null : path.join(bin, 'postgres')
  }
  if (program === 'rabbitmq-server') return existsSync(RABBITMQ_SERVER) ? RABBITMQ_SERVER : null
  return findOnPath(program)
}

/**
 * Checks what this machine can run, and stops what killed LoadLab runs left running (their
 * ports and memory would skew the next measurement). Called by `loadlab doctor`; never throws.
 */
export async function runDoctorChecks(): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = []
  const reaped = reapLeftovers()
  checks.push({
    name: 'leftovers',
    ok: true,
    detail:
      describeReaped(reaped) ??
      `no process left by a killed run${reaped.liveHarnesses > 0 ? ` (${reaped.liveHarnesses} LoadLab process${reaped.liveHarnesses === 1 ? '' : 'es'} running now, left alone)` : ''}`,
    disables: 'nothing',
    essential: false,
  })
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number)
  checks.push({
    name: 'node',
    ok: major > 20 || (major === 20 && minor >= 19),
    detail: process.version,
    disables: 'LoadLab itself (needs Node >= 20.19)',
    essential: true,
  })
  let port = 0
  try {
    port = await freePort()
  } catch {
    port = 0
  }
  checks.push({
    name: 'loopback port',
    ok: port > 0,
    detail: port > 0 ? `127.0.0.1:${port} free` : 'cannot listen on 127.0.0.1',
    disables: 'every local topology',
    essential: true,
  })
  checks.push({
    name: 'system under test',
    ok: existsSync(SUT_MAIN),
    detail: existsSync(SUT_MAIN) ? SUT_MAIN : `${SUT_MAIN} missing: run \`npm run build\``,
    disables: 'every local topology',
    essential: true,
  })
  checks.push(...(await containerChecks()))
  const k6 = process.env.K6_BIN && existsSync(process.env.K6_BIN) ? process.env.K6_BIN : findOnPath('k6')
  checks.push(binaryCheck('k6', k6, 'the k6 engine (set K6_BIN or put k6 on PATH)'))
  const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((f) => existsSync(f)) ?? findOnPath('chromium')
  checks.push(binaryCheck('chromium', chromium ?? null, 'the browser test of the HTML report (the report itself still renders)'))
  for (const need of programsTheStrategiesNeed()) {
    const file = await locateProgram(need.program)
    const versionText = file && need.versionArgs ? await version(file, [...need.versionArgs]) : null
    checks.push(binaryCheck(need.program, file, [...need.enables, ...(WHERE_IT_RUNS[need.program] ?? [])].join(', '), versionText))
  }
  checks.push(await kafkaCheck())
  return checks
}

/** Apache Kafka for queue-push with broker kafka: the machine's Java and the broker's jars from Maven Central. */
async function kafkaCheck(): Promise<DoctorCheck> {
  const disables = `sync strategy "queue-push" (broker kafka, Apache Kafka ${KAFKA_VERSION})`
  try {
    const java = findJava()
    const jars = kafkaClassPath()
    return { name: 'kafka', ok: true, detail: `${jars} on ${java} (${(await version(java, ['-version'])) ?? 'version unknown'})`, disables, essential: false }
  } catch (error) {
    return { name: 'kafka', ok: false, detail: error instanceof Error ? error.message : String(error), disables, essential: false }
  }
}

/**
 * Docker (through the Docker API, as Testcontainers reaches it) and, when it answers, the image
 * each kind of member would run. The containers environment is optional: never essential.
 */
async function containerChecks(): Promise<DoctorCheck[]> {
  const disables = 'the containers environment (--env containers)'
  let server: string
  try {
    const { docker } = await dockerRuntime()
    const info = await docker.version()
    server = `Docker ${info.Version} (API ${info.ApiVersion})`
  } catch (error) {
    return [{ name: 'docker', ok: false, detail: error instanceof Error ? error.message : String(error), disables, essential: false }]
  }
  const checks: DoctorCheck[] = [{ name: 'docker', ok: true, detail: server, disables, essential: false }]
  for (const s of await imageStatus().catch(() => [])) {
    const absent = s.candidates.map((c) => c.name).join(' / ') || 'loadlab/crm (built from this checkout)'
    checks.push({
      name: `image ${s.kind}`,
      ok: s.use !== null,
      detail: s.use ? `${s.use.name} (${s.use.source})` : `${absent} not present`,
      disables: 'nothing: a containers run that needs it pulls or builds it first (`loadlab images build` does it ahead)',
      essential: false,
    })
  }
  return checks
}

/** `doctor --clean`: removes the containers of runs whose harness died (SIGKILL, crash); prints what went. */
async function cleanLeftovers(): Promise<string[]> {
  const { docker } = await dockerRuntime()
  const { reaped, otherHosts } = await reapDeadRuns(docker)
  const lines = reaped.map((r) => `removed run ${r.runId}: ${r.containers} container(s)${r.networks ? `, ${r.networks} network(s)` : ''} (its harness is gone)`)
  if (reaped.length === 0) lines.push('no leftovers: every LoadLab container belongs to a running harness')
  for (const runId of otherHosts) lines.push(`left run ${runId}: started from another host, which alone can tell whether it still runs`)
  return lines
}

/** Registers `doctor`: prints each check and exits 1 when an essential piece is missing. */
export function registerDoctorCommand(program: Command, setExit: (code: number) => void): void {
  program
    .command('doctor')
    .description(
      `check this machine: Node, ports, the built SUT, Docker and images, k6, Chromium, ${programsTheStrategiesNeed()
        .map((n) => n.program)
        .join(', ')}, kafka`,
    )
    .option('--clean', 'remove the containers of LoadLab runs whose harness died (killed, crashed)')
    .action(async (opts: { clean?: boolean }) => {
      if (opts.clean) process.stdout.write(`${(await cleanLeftovers()).join('\n')}\n\n`)
      const checks = await runDoctorChecks()
      const width = Math.max(...checks.map((c) => c.name.length))
      const lines = checks.map(
        (c) => `${c.ok ? 'ok     ' : c.essential ? 'MISSING' : 'missing'}  ${c.name.padEnd(width)}  ${c.detail}${c.ok ? '' : `  -> disables ${c.disables}`}`,
      )
      const broken = checks.filter((c) => !c.ok && c.essential)
      lines.push(
        '',
        broken.length === 0
          ? 'LoadLab can run local scenarios on this machine.'
          : `LoadLab cannot run local scenarios: fix ${broken.map((c) => c.name).join(', ')}.`,
      )
      const docker = checks.find((c) => c.name === 'docker')
      lines.push(docker?.ok ? 'Docker answers: scenarios can also run in containers (--env containers).' : 'Without Docker, --env containers is not available.')
      process.stdout.write(`${lines.join('\n')}\n`)
      setExit(broken.length === 0 ? 0 : 1)
    })
}

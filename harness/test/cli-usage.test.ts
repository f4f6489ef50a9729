import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { KAFKA_VERSION } from '../src/environment/kafka-server.js'
import { killLeftoverRuns, LOADLAB_BIN, REPO_ROOT, runLoadlab } from './support/run-fixtures.js'

// The CLI's answers to mistakes a user makes (exit 2 and a message naming the input), and doctor.
// Every run gets --out in a temporary folder: a regression that gets past the check it is meant
// to fail must not write into the repository's reports/.
const dir = mkdtempSync(path.join(tmpdir(), 'loadlab-cli-'))
const out = (name: string): string => path.join(dir, `out-${name}`)
afterAll(() => {
  killLeftoverRuns()
  rmSync(dir, { recursive: true, force: true })
})

describe('loadlab usage errors', () => {
  it('a scenario with a bad matrix value exits 2 naming the file, the field path and the allowed values', async () => {
    const file = path.join(dir, 'bad.ts')
    writeFileSync(
      file,
      `import { defineScenario } from ${JSON.stringify(path.join(REPO_ROOT, 'harness/src/scenario/define-scenario.js'))}
export default defineScenario({
  name: 'bad', kind: 'comparison', description: '',
  topology: { replicas: 1 },
  matrix: { 'cache.strategy': ['lru', 'mru'] },
  workload: { mix: { get_customer: 1 }, keys: { kind: 'uniform' }, datasetSize: 10 },
  load: { model: 'closed', connections: 1, durationS: 1 },
} as never)
`,
    )
    const run = runLoadlab(['run', file, '--out', path.join(dir, 'out-bad')])
    expect(await run.exited).toBe(2)
    expect(run.stderr()).toContain(file)
    expect(run.stderr()).toContain('matrix["cache.strategy"][1] = "mru"')
    expect(run.stderr()).toContain('allowed: none, lru, lfu, ttl, redis')
  })

  it('an unknown engine exits 2 naming the flag and the engines', async () => {
    const run = runLoadlab(['run', 'quickstart', '--engine', 'wrk', '--out', out('wrk')])
    expect(await run.exited).toBe(2)
    expect(run.stderr()).toMatch(/--engine.*wrk.*autocannon, native/s)
  })

  it('a non-numeric tolerance exits 2 naming the flag', async () => {
    const run = runLoadlab(['run', 'quickstart', '--tolerance', 'five', '--out', out('five')])
    expect(await run.exited).toBe(2)
    expect(run.stderr()).toMatch(/--tolerance.*"five" is not a tolerance/s)
  })

  it('a bad number of load agents, or --agent-listen without --agents, exits 2 naming the flag and the fix', async () => {
    const zero = runLoadlab(['run', 'quickstart', '--agents', '0'])
    expect(await zero.exited).toBe(2)
    expect(zero.stderr()).toMatch(/--agents.*"0" is not a number of load agents: give a whole number from 1/s)
    const listen = runLoadlab(['run', 'quickstart', '--agent-listen', '127.0.0.1:7070'])
    expect(await listen.exited).toBe(2)
    expect(listen.stderr()).toMatch(/--agent-listen needs --agents N/)
    const bad = runLoadlab(['run', 'quickstart', '--agents', '2', '--agent-listen', 'nowhere'])
    expect(await bad.exited).toBe(2)
    expect(bad.stderr()).toMatch(/"nowhere" is not HOST:PORT/)
  })

  it('an engine that cannot drive the load exits 2 before starting anything', async () => {
    const run = runLoadlab(['run', 'stress', '--quick', '--engine', 'autocannon', '--out', path.join(dir, 'out-engine')])
    expect(await run.exited).toBe(2)
    expect(run.stderr()).toMatch(/--engine autocannon cannot run/)
  })

  it('takes --engine open (the native engine\u2019s former name) and former scenario spellings as the new ones, each with one note', async () => {
    // A closed load: the native engine refuses it before anything starts, so the run stops at
    // the check, which proves --engine open became --engine native.
    const file = path.join(dir, 'former-spellings.ts')
    writeFileSync(
      file,
      `import { defineScenario } from ${JSON.stringify(path.join(REPO_ROOT, 'harness/src/scenario/define-scenario.js'))}
export default defineScenario({
  name: 'former', kind: 'comparison', description: '',
  topology: { replicas: 2, balancer: { engine: 'builtin' }, capacity: { replica: { serviceTime: 'constant:1' } } },
  matrix: { 'capacity.replica.slots': [1, 2] },
  workload: { mix: { get_customer: 1 }, keys: { kind: 'uniform' }, datasetSize: 10 },
  load: { model: 'closed', connections: 1, durationS: 1 },
} as never)
`,
    )
    const run = runLoadlab(['run', file, '--engine', 'open', '--out', out('former')])
    expect(await run.exited).toBe(2)
    const stderr = run.stderr()
    const notes = stderr.split('\n').filter((line) => line.startsWith('note: ') && line.includes('deprecated'))
    expect(notes).toEqual([
      'note: --engine open is deprecated, write --engine native instead',
      'note: topology.balancer.engine is deprecated, write topology.balancer.implementation instead',
      'note: topology.capacity is deprecated, write topology.emulation instead',
      "note: matrix key 'capacity.replica.slots' is deprecated, write 'emulation.replica.slots' instead",
    ])
    expect(stderr).toMatch(/--engine native cannot run/)
  })

  it('an unknown scenario name exits 2 and lists the shipped ones', async () => {
    const run = runLoadlab(['run', 'quikstart', '--out', out('typo')])
    expect(await run.exited).toBe(2)
    expect(run.stderr()).toMatch(/scenario "quikstart" not found.*quickstart/s)
  })

  it('an unreachable external target fails clearly, keeps results and exits 1', async () => {
    const file = path.join(dir, 'external.ts')
    writeFileSync(
      file,
      `import { defineScenario } from ${JSON.stringify(path.join(REPO_ROOT, 'harness/src/scenario/define-scenario.js'))}
export default defineScenario({
  name: 'external', kind: 'performance', description: '',
  target: 'http://127.0.0.1:9',
  workload: { mix: { get_customer: 1 }, keys: { kind: 'uniform' }, datasetSize: 10 },
  load: { model: 'closed', connections: 1, durationS: 1 },
})
`,
    )
    const outDir = out('external')
    const run = runLoadlab(['run', file, '--out', outDir])
    expect(await run.exited).toBe(1)
    expect(run.stderr() + run.stdout()).toMatch(/target http:\/\/127.0.0.1:9\/ is not reachable/)
    const suite = JSON.parse(readFileSync(path.join(outDir, 'results.json'), 'utf8')) as { runs: Array<{ status: string }> }
    expect(suite.runs.map((r) => r.status)).toEqual(['failed'])
  })

  it('Kubernetes flags: each names what it needs and exits 2 before anything starts', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['run', 'quickstart', '--parallelism', '2'], /--parallelism only applies to --k8s runs: add --k8s/],
      [['run', 'quickstart', '--agent-target', 'http://crm:8080'], /--agent-target only applies to --k8s runs/],
      [['run', 'quickstart', '--k8s'], /--k8s needs --agent-listen HOST:PORT/],
      [['run', 'quickstart', '--k8s', '--agents', '2', '--agent-listen', '127.0.0.1:7070'], /give their number with --parallelism N instead of --agents/],
      [
        ['run', 'quickstart', '--k8s', '--agent-listen', '127.0.0.1:7070'],
        /run --k8s loads a target of your own, and quickstart has a topology .*loadlab k8s export --sut/,
      ],
    ]
    for (const [args, message] of cases) {
      const run = runLoadlab(args)
      expect(await run.exited, args.join(' ')).toBe(2)
      expect(run.stderr()).toMatch(message)
    }
  })

  it('refuses a target that is not on this machine', async () => {
    const file = path.join(dir, 'remote.ts')
    writeFileSync(
      file,
      `export default {
  name: 'remote', kind: 'performance', target: 'http://10.1.2.3:8080',
  workload: { mix: { get_customer: 1 }, keys: { kind: 'uniform' }, datasetSize: 10 },
  load: { model: 'closed', connections: 1, durationS: 1 },
}
`,
    )
    const run = runLoadlab(['run', file, '--out', out('remote')])
    expect(await run.exited).toBe(2)
    expect(run.stderr()).toMatch(/target: "http:\/\/10.1.2.3:8080" is not on this machine/)
  })

  it('says to build first when the harness is not built', async () => {
    mkdirSync(path.join(dir, 'bin'), { recursive: true })
    const bin = path.join(dir, 'bin', 'loadlab.js')
    copyFileSync(LOADLAB_BIN, bin)
    const { spawnSync } = await import('node:child_process')
    const result = spawnSync(process.execPath, [bin, 'doctor'], { encoding: 'utf8', timeout: 30_000 })
    expect(result.status).toBe(2)
    expect(result.stderr).toContain('run `npm run build` (or `make build`) first')
  })

  it('doctor reports each piece and what a missing one disables', async () => {
    const run = runLoadlab(['doctor'], { env: { PATH: '/nonexistent', K6_BIN: '', JAVA_HOME: '' } })
    expect(await run.exited).toBe(0)
    expect(run.stdout()).toMatch(/missing\s+redis-server\s+not found\s+-> disables cache strategy "redis"/)
    expect(run.stdout()).toMatch(
      /missing\s+kafka\s+broker kafka needs Java 17 or newer: install it .*-> disables sync strategy "queue-push" \(broker kafka, Apache Kafka 3\.9\.\d+\)/,
    )
    expect(run.stdout()).toMatch(/ok\s+node/)
    expect(run.stdout()).toMatch(/missing\s+k6 .*disables the k6 engine/)
  })

  it('doctor says every piece is there, and exits 0, when the machine has them all', async () => {
    // Stand-ins for every optional tool, each answering its version query: the all-ok path does
    // not depend on what this machine happens to have installed.
    const bin = path.join(dir, 'all-tools')
    mkdirSync(bin, { recursive: true })
    const tools = ['docker', 'k6', 'chromium', 'redis-server', 'memcached', 'haproxy', 'nginx', 'postgres']
    // initdb beside postgres: where doctor (like the local environment) finds PostgreSQL's programs.
    for (const tool of [...tools, 'initdb']) {
      writeFileSync(path.join(bin, tool), `#!/bin/sh\necho "${tool} 9.9.9"\n`)
      chmodSync(path.join(bin, tool), 0o755)
    }
    // Kafka's broker: a java answering -version, and a jar folder holding the broker's jar.
    writeFileSync(path.join(bin, 'java'), '#!/bin/sh\necho "openjdk version 9.9.9" >&2\n')
    chmodSync(path.join(bin, 'java'), 0o755)
    const kafkaLibs = mkdtempSync(path.join(dir, 'kafka-libs-'))
    writeFileSync(path.join(kafkaLibs, `kafka_2.13-${KAFKA_VERSION}.jar`), '')
    // A runtime folder of its own: leftovers of other runs on this machine are not this test's business.
    const runtime = mkdtempSync(path.join(dir, 'runtime-'))
    const run = runLoadlab(['doctor'], { env: { PATH: bin, K6_BIN: '', JAVA_HOME: '', LOADLAB_KAFKA_LIBS: kafkaLibs, LOADLAB_RUNTIME_DIR: runtime } })
    expect(await run.exited, run.stderr()).toBe(0)
    const lines = run.stdout().trim().split('\n')
    const checks = lines.slice(0, lines.indexOf(''))
    const names = checks.map((l) => l.split(/\s{2,}/)[1])
    expect(names.slice(0, 4)).toEqual(['leftovers', 'node', 'loopback port', 'system under test'])
    for (const tool of [...tools, 'kafka']) expect(names).toContain(tool)
    // Docker is found through its API (Testcontainers), not a binary a test can stand in for, and
    // its images with it: optional for local scenarios, so they may be missing; the rest must be ok.
    for (const line of checks.filter((l) => !/^\S+\s+(docker|image)\s/.test(l))) expect(line, line).toMatch(/^ok\s/)
    expect(run.stdout()).toMatch(new RegExp(`ok\\s+redis-server\\s+${bin}/redis-server \\(redis-server 9\\.9\\.9\\)`))
    expect(run.stdout()).toMatch(new RegExp(`ok\\s+kafka\\s+${kafkaLibs}/\\* on ${bin}/java \\(openjdk version 9\\.9\\.9\\)`))
    expect(run.stdout()).toMatch(/ok\s+leftovers\s+no process left by a killed run/)
    expect(lines).toContain('LoadLab can run local scenarios on this machine.')
  })
})

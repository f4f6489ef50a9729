import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { runLoadlab } from './support/run-fixtures.js'

// Mistakes around --env and the containers' configuration: exit 2 and a message naming the input,
// before anything starts (no Docker needed to hear about them).
const dir = mkdtempSync(path.join(tmpdir(), 'loadlab-cli-env-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('loadlab run --env', () => {
  it('an unknown environment exits 2 naming the choices', async () => {
    const run = runLoadlab(['run', 'quickstart', '--env', 'kubernetes', '--out', path.join(dir, 'a')])
    expect(await run.exited).toBe(2)
    expect(run.stderr()).toMatch(/--env <name>' argument 'kubernetes' is invalid\. Allowed choices are local, containers/)
  })

  it('--env local on a scenario with CPU limits exits 2 saying they need containers', async () => {
    const run = runLoadlab(['run', 'scale-out-containers', '--env', 'local', '--out', path.join(dir, 'b')])
    expect(await run.exited).toBe(2)
    expect(run.stderr()).toContain('scale-out-containers.ts is not a valid scenario')
    expect(run.stderr()).toMatch(
      /topology\.resources: CPU and memory limits need containers, but --env local runs local processes; run it with --env containers/,
    )
  })

  it('a misspelt LOADLAB_IMAGES exits 2 naming the variable and its values', async () => {
    const run = runLoadlab(['run', 'quickstart', '--env', 'containers', '--out', path.join(dir, 'c')], { env: { LOADLAB_IMAGES: 'offical' } })
    expect(await run.exited).toBe(2)
    expect(run.stderr()).toContain('LOADLAB_IMAGES="offical" is not one of auto, official, local')
  })

  it('images build names the kinds it knows', async () => {
    const run = runLoadlab(['images', 'build', 'mysql'])
    expect(await run.exited).toBe(2)
    expect(run.stderr()).toContain(
      '"mysql" is not an image kind: use debian, node, redis, memcached, rabbitmq, kafka, postgres, haproxy, nginx, toxiproxy, crm',
    )
  })
})

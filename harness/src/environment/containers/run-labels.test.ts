import { spawnSync } from 'node:child_process'
import { hostname } from 'node:os'
import { describe, expect, it } from 'vitest'
import { harnessIdentity, harnessState, newRunId } from './run-labels.js'

describe('who owns a container', () => {
  it('a live harness is alive; a finished one is dead; one from another host cannot be judged here', () => {
    expect(harnessState(harnessIdentity())).toBe('alive')
    const gone = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' })
    expect(harnessState(`${hostname()}/${gone.stdout.trim()}/1`)).toBe('dead')
    expect(harnessState(`elsewhere.example/${process.pid}/1`)).toBe('elsewhere')
  })

  it('a reused pid is not the harness that started the container', () => {
    const [host, pid] = harnessIdentity().split('/')
    expect(harnessState(`${host}/${pid}/12345`)).toBe('dead')
  })

  it('run ids sort by time', () => {
    expect(newRunId(new Date('2025-03-04T05:06:07Z'))).toMatch(/^20250304-050607-[0-9a-f]{4}$/)
  })
})

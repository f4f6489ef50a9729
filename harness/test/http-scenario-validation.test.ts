import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { loadScenario } from '../src/scenario/load-scenario.js'
import { planRuns } from '../src/scenario/plan-runs.js'
import { ScenarioError } from '../src/scenario/scenario-error.js'
import { validateScenario } from '../src/scenario/validate-scenario.js'

const dir = mkdtempSync(path.join(tmpdir(), 'loadlab-http-scenario-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const shortest = {
  name: 'mine',
  kind: 'performance',
  target: 'http://127.0.0.1:8080',
  http: { requests: [{ name: 'home', path: '/' }] },
  load: { model: 'open', rate: 10, durationS: 1 },
}

function errorOf(input: unknown, file = path.join(dir, 'scenario.ts')): ScenarioError {
  try {
    validateScenario(input, file)
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError)
    expect((e as ScenarioError).exitCode).toBe(2)
    return e as ScenarioError
  }
  throw new Error('expected the scenario to be refused')
}

describe('HTTP scenario validation', () => {
  it('the shortest scenario: a target and one GET /', () => {
    const s = validateScenario(shortest, 'mine.ts')
    expect(s.http?.flows).toEqual([{ name: 'home', weight: 1, steps: [{ name: 'home', method: 'GET', path: '/' }] }])
    expect(s.workload.datasetSize).toBe(0)
    const [run] = planRuns(s).runs
    expect(run!.workload.http).toBe(s.http)
    expect(run!.target?.href).toBe('http://127.0.0.1:8080/')
  })

  it('a bad field names the file, its path and the allowed values', async () => {
    const file = path.join(dir, 'bad-method.ts')
    writeFileSync(
      file,
      `export default ${JSON.stringify({
        ...shortest,
        http: {
          requests: [
            { name: 'home', path: '/' },
            { name: 'x', method: 'FETCH', path: '/x' },
          ],
        },
      })}\n`,
    )
    const error = await loadScenario(file).catch((e: unknown) => e as ScenarioError)
    expect(error).toBeInstanceOf(ScenarioError)
    const message = (error as ScenarioError).message
    expect(message).toContain(file)
    expect(message).toContain('http.requests[1].method = "FETCH"')
    expect(message).toMatch(/allowed: GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS/)
  })

  it('http needs a target and excludes workload', () => {
    const { target: _t, ...noTarget } = shortest
    expect(errorOf({ ...noTarget, topology: {} }).message).toMatch(/target: `http` sends requests to your own service/)
    expect(errorOf({ ...shortest, workload: { mix: { get_customer: 1 }, keys: { kind: 'uniform' }, datasetSize: 10 } }).message).toMatch(
      /either `workload`.*or `http`/,
    )
    expect(errorOf({ ...shortest, http: { requests: [] } }).message).toMatch(/at least one request/)
    expect(errorOf({ ...shortest, http: { requests: [{ name: 'a b', path: '/' }] } }).message).toMatch(/http.requests\[0\].name.*op tag/)
    expect(errorOf({ ...shortest, http: { requests: [{ name: 'a', path: '/', headers: { Host: 'x' } }] } }).message).toMatch(/Host is set by LoadLab/)
    expect(errorOf({ ...shortest, target: 'https://127.0.0.1:8443' }).message).toMatch(/plain HTTP\/1.1/)
  })

  it('a missing or malformed data file is an exit-2 error naming it', () => {
    const missing = errorOf({ ...shortest, http: { data: { users: { file: 'nope.csv' } }, requests: [{ name: 'a', path: '/${users.id}' }] } })
    expect(missing.message).toContain(path.join(dir, 'nope.csv'))
    expect(missing.message).toMatch(/does not exist/)
    writeFileSync(path.join(dir, 'broken.csv'), 'id,name\n1,ann\n2,"bob\n')
    expect(errorOf({ ...shortest, http: { data: { users: { file: 'broken.csv' } }, requests: [{ name: 'a', path: '/${users.id}' }] } }).message).toMatch(
      /broken\.csv is not valid CSV/,
    )
    writeFileSync(path.join(dir, 'broken.json'), '[{"id": 1}, ')
    expect(errorOf({ ...shortest, http: { data: { users: { file: 'broken.json' } }, requests: [{ name: 'a', path: '/${users.id}' }] } }).message).toMatch(
      /broken\.json is not valid JSON/,
    )
  })

  it('templates are checked before anything runs: data columns, env names, extracted variables', () => {
    writeFileSync(path.join(dir, 'users.csv'), 'id,email\n1,a@x.io\n')
    const message = errorOf(
      {
        ...shortest,
        http: {
          data: { users: { file: 'users.csv' } },
          env: ['API_TOKEN_FOR_TEST_UNSET'],
          flows: [
            {
              name: 'f',
              steps: [
                { name: 'one', path: '/u/${users.mail}', headers: { 'x-key': '${env.OTHER}' } },
                { name: 'two', path: '/t/${token}', extract: { token: { json: '$.token' } } },
                { name: 'three', path: '/${randomInt(5,1)}' },
              ],
            },
          ],
        },
      },
      path.join(dir, 'templates.ts'),
    ).message
    expect(message).toMatch(/users\.csv has no column "mail"; columns: id, email/)
    expect(message).toMatch(/\$\{env.OTHER\} reads an environment variable the scenario does not name/)
    expect(message).toMatch(/environment variable API_TOKEN_FOR_TEST_UNSET is not set/)
    expect(message).toMatch(/http.flows\[0\].steps\[1\].path: \$\{token\} is not extracted by an earlier step/)
    expect(message).toMatch(/randomInt\(5,1\).*end must not be below its start/)
  })

  it('a matrix over target compares versions of a service; other keys and remote URLs are refused', () => {
    const s = validateScenario({ ...shortest, matrix: { target: ['http://127.0.0.1:8080', 'http://127.0.0.1:8081'] } }, 'm.ts')
    expect(planRuns(s).runs.map((r) => r.target?.port)).toEqual(['8080', '8081'])
    expect(errorOf({ ...shortest, matrix: { 'cache.strategy': ['lru'] } }).message).toMatch(/allowed: target/)
    expect(errorOf({ ...shortest, matrix: { target: ['http://example.com'] } }).message).toMatch(/matrix.target\[0\]:.*not on this machine/)
  })
})

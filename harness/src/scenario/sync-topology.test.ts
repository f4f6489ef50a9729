import { describe, expect, it } from 'vitest'
import { ScenarioError } from './scenario-error.js'
import { validateScenario } from './validate-scenario.js'

const scenario = (topology: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  name: 'sync',
  kind: 'performance',
  topology,
  workload: { mix: { update_customer: 1 }, keys: { kind: 'uniform' }, datasetSize: 10 },
  load: { model: 'closed', connections: 1, durationS: 1 },
  ...extra,
})

function problemsOf(input: unknown): string {
  try {
    validateScenario(input, 'sync.ts')
  } catch (error) {
    expect(error).toBeInstanceOf(ScenarioError)
    return (error as Error).message
  }
  throw new Error('the scenario was accepted')
}

describe('topology.sync', () => {
  it('defaults to no downstream, and fills the strategy settings in', () => {
    expect(validateScenario(scenario({}), null).topology?.sync).toEqual({
      strategy: 'none',
      broker: 'rabbitmq',
      intervalMs: 1_000,
      batch: 500,
      drainTimeoutS: 60,
    })
    expect(validateScenario(scenario({ sync: { strategy: 'scheduled-pull', intervalMs: 250 } }), null).topology?.sync).toMatchObject({
      strategy: 'scheduled-pull',
      intervalMs: 250,
    })
  })

  it('a bad value names the field and the allowed values', () => {
    const message = problemsOf(scenario({ sync: { strategy: 'queue-pull', broker: 'activemq', batch: 0 } }))
    expect(message).toContain('topology.sync.strategy = "queue-pull"')
    expect(message).toContain('allowed: none, sync-call, queue-push, scheduled-pull')
    expect(message).toContain('topology.sync.broker = "activemq"')
    expect(message).toContain('allowed: rabbitmq, kafka')
    expect(message).toContain('topology.sync.batch')
    expect(problemsOf(scenario({ sync: { strategy: 'none', every: 5 } }))).toMatch(/every/)
  })

  it('strategies that read the change feed need the embedded store', () => {
    expect(problemsOf(scenario({ store: 'postgres', sync: { strategy: 'queue-push' } }))).toMatch(/topology\.sync\.strategy.*only the embedded store/)
    expect(validateScenario(scenario({ store: 'postgres', sync: { strategy: 'sync-call' } }), null).topology?.sync.strategy).toBe('sync-call')
  })

  it('is a matrix axis, and downstream and rabbitmq are fault targets', () => {
    const s = validateScenario(
      scenario(
        { sync: { broker: 'rabbitmq' } },
        {
          matrix: { 'sync.strategy': ['sync-call', 'queue-push'] },
          faults: [
            { atS: 1, action: 'kill', member: 'downstream' },
            { atS: 2, action: 'restart', member: 'rabbitmq' },
          ],
        },
      ),
      null,
    )
    expect(s.faults.map((f) => f.member)).toEqual(['downstream', 'rabbitmq'])
    expect(problemsOf(scenario({}, { matrix: { 'sync.strategy': ['sync-call', 'carrier-pigeon'] } }))).toMatch(/carrier-pigeon/)
  })
})

describe('faults on the sync members', () => {
  it('downstream exists in cells with a sync strategy, rabbitmq only with queue-push: the cells without the member are named before anything starts', async () => {
    const { planRuns } = await import('./plan-runs.js')
    const { faultNotes, faultProblems } = await import('./check-faults.js')
    const plan = (matrix: string[], member: string) =>
      planRuns(
        validateScenario(
          scenario({ sync: { strategy: 'sync-call' } }, { matrix: { 'sync.strategy': matrix }, faults: [{ atS: 0.5, action: 'kill', member }] }),
          null,
        ),
      ).runs
    expect(faultProblems(plan(['sync-call', 'queue-push', 'scheduled-pull'], 'downstream'))).toEqual([])
    expect(faultNotes(plan(['sync-call', 'queue-push', 'scheduled-pull'], 'downstream'))).toEqual([])
    expect(faultProblems(plan(['queue-push'], 'rabbitmq'))).toEqual([])
    // The sync none baseline beside the others: the fault applies where downstream runs.
    expect(faultProblems(plan(['none', 'sync-call'], 'downstream'))).toEqual([])
    expect(faultNotes(plan(['none', 'sync-call'], 'downstream')).join('\n')).toMatch(
      /cell "sync=none" has no member "downstream"; recorded there as not applied/,
    )
    expect(faultNotes(plan(['sync-call', 'queue-push'], 'rabbitmq')).join('\n')).toMatch(/cell "sync=sync-call" has no member "rabbitmq"/)
    expect(faultProblems(plan(['none', 'sync-call'], 'rabbitmq')).join('\n')).toMatch(/no cell|have no member "rabbitmq"/)
  })

  it('the queue-push broker is the member: kafka exists only in cells with broker kafka, rabbitmq only with broker rabbitmq', async () => {
    const { planRuns } = await import('./plan-runs.js')
    const { faultNotes, faultProblems } = await import('./check-faults.js')
    const problems = (brokers: string[], member: string) =>
      faultProblems(
        planRuns(
          validateScenario(
            scenario({ sync: { strategy: 'queue-push' } }, { matrix: { 'sync.broker': brokers }, faults: [{ atS: 0.5, action: 'pause', member }] }),
            null,
          ),
        ).runs,
      )
    expect(problems(['kafka'], 'kafka')).toEqual([])
    expect(problems(['rabbitmq', 'kafka'], 'downstream')).toEqual([])
    expect(problems(['rabbitmq', 'kafka'], 'kafka')).toEqual([])
    expect(
      faultNotes(
        planRuns(
          validateScenario(
            scenario(
              { sync: { strategy: 'queue-push' } },
              { matrix: { 'sync.broker': ['rabbitmq', 'kafka'] }, faults: [{ atS: 0.5, action: 'pause', member: 'kafka' }] },
            ),
            null,
          ),
        ).runs,
      ).join('\n'),
    ).toMatch(/cell "sync.broker=rabbitmq" has no member "kafka"/)
    expect(problems(['kafka'], 'rabbitmq').join('\n')).toMatch(/has no member "rabbitmq" \(members of "sync.broker=kafka": kafka, /)
  })
})

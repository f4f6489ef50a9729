import path from 'node:path'
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { registerChild } from '../environment/child-registry.js'
import { AGENT_ENV } from './agent-options.js'

// Local load agents: one worker process per slice on this machine, each started exactly like a
// remote agent (the same entry, the same environment variables a Kubernetes pod gets) and
// connecting back to the coordinator over 127.0.0.1. Each runs in its own process group, so a
// Ctrl-C in the terminal reaches only the harness, which then stops the agents in order
// (stop -> done -> shutdown) and keeps what they measured.

const STDERR_TAIL_LINES = 10
const STOP_GRACE_MS = 2000

/** The agent entry next to this file: compiled JS, or the TypeScript source run through tsx (tests). */
function agentEntry(): { args: string[] } {
  const here = import.meta.url
  if (here.endsWith('.ts')) return { args: ['--import', 'tsx', fileURLToPath(new URL('./agent-main.ts', here))] }
  return { args: [fileURLToPath(new URL('./agent-main.js', here))] }
}

interface LocalAgent {
  child: ChildProcess
  stderr: string[]
}

export class LocalAgents {
  private readonly agents = new Map<number, LocalAgent>()

  constructor(
    private readonly coordinator: URL,
    private readonly count: number,
    private readonly token: string,
  ) {}

  /** Called before each phase: starts an agent process for every index in `indexes` that has none running. */
  ensure(indexes: number[]): void {
    const { args } = agentEntry()
    for (const index of indexes) {
      const existing = this.agents.get(index)
      if (existing && existing.child.exitCode === null && existing.child.signalCode === null) continue
      const child = spawn(process.execPath, args, {
        env: {
          ...process.env,
          [AGENT_ENV.coordinator]: this.coordinator.href,
          [AGENT_ENV.index]: String(index),
          [AGENT_ENV.count]: String(this.count),
          [AGENT_ENV.token]: this.token,
        },
        stdio: ['ignore', 'ignore', 'pipe'],
        detached: true,
      })
      // In the ledger too: a harness killed outright leaves no agent behind for long (each also exits when its coordinator connection closes).
      registerChild(child, { member: `load agent ${index}`, match: args.map((a) => path.basename(a)).slice(-1) })
      const agent: LocalAgent = { child, stderr: [] }
      child.stderr!.setEncoding('utf8')
      child.stderr!.on('data', (text: string) => {
        for (const line of text.split('\n')) if (line.trim() !== '') agent.stderr.push(line)
        agent.stderr.splice(0, Math.max(0, agent.stderr.length - STDERR_TAIL_LINES))
      })
      this.agents.set(index, agent)
    }
  }

  /** pid of the local agent process for `index`, if one was started. */
  pid(index: number): number | undefined {
    return this.agents.get(index)?.child.pid
  }

  /** Waits up to `ms` for the agent process of `index` to exit (its connection may close a moment before the process is reaped). */
  async waitForExit(index: number, ms: number): Promise<void> {
    const child = this.agents.get(index)?.child
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms)
      child.once('exit', () => {
        clearTimeout(timer)
        resolve()
      })
    })
  }

  /** What an agent that went wrong last printed, for the message that reports it. */
  describe(index: number): string {
    const a = this.agents.get(index)
    if (!a) return ''
    const exit =
      a.child.exitCode !== null ? `exited with code ${a.child.exitCode}` : a.child.signalCode !== null ? `killed by ${a.child.signalCode}` : 'still running'
    const tail = a.stderr.slice(-3).join(' | ')
    return `${exit}${tail ? `; it said: ${tail}` : ''}`
  }

  /** Called at the end (after the coordinator told the agents to shut down): waits briefly for them to exit, then kills what is left. */
  async stop(): Promise<void> {
    await Promise.all(
      [...this.agents.values()].map(async ({ child }) => {
        if (child.exitCode !== null || child.signalCode !== null) return
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS)
        await exited
        clearTimeout(timer)
      }),
    )
  }
}

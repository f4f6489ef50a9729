import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { chown, mkdtemp, readdir, readFile, realpath, rm, stat } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, dirname, join } from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'

// A throw-away PostgreSQL server for tests: its own data directory under the temp dir, on
// 127.0.0.1 and a free port, with its unix socket in that directory too (so it never collides with
// a system server), tuned for speed over durability. PostgreSQL refuses to run as root, so under
// root the server runs as the `postgres` user that Debian's package creates.

const run = promisify(execFile)

export interface TempPostgres {
  /** Connection URL of database `db` on this server (user postgres, trust auth). */
  urlFor(db: string): string
  /** Called by tests to get an empty database; returns its URL. */
  createDatabase(name: string): Promise<string>
  /** The running postmaster's process id (from postmaster.pid), or null when none runs. */
  postmasterPid(): Promise<number | null>
  /** The server's directory (data, socket, log); gone after stop(). */
  readonly dir: string
  /** Called in teardown, also after a failure: stops the server and its backends for sure, then deletes its files. */
  stop(): Promise<void>
}

const INSTALL_HINT =
  'PostgreSQL server binaries (initdb, pg_ctl) were not found on PATH or in /usr/lib/postgresql/*/bin: install them with `apt-get install postgresql` (.ci/run does this in CI)'

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  )
}

/** The directory holding initdb, pg_ctl and postgres; symlinks are resolved because pg_ctl looks for postgres beside itself. */
async function findBinDir(): Promise<string> {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const initdb = join(dir, 'initdb')
    if ((await isFile(initdb)) && (await isFile(join(dir, 'pg_ctl')))) {
      const real = dirname(await realpath(initdb))
      if (await isFile(join(real, 'postgres'))) return real
    }
  }
  const root = '/usr/lib/postgresql'
  const versions = await readdir(root).catch(() => [] as string[])
  versions.sort((a, b) => Number(b) - Number(a))
  for (const v of versions) {
    const dir = join(root, v, 'bin')
    if ((await isFile(join(dir, 'initdb'))) && (await isFile(join(dir, 'pg_ctl'))) && (await isFile(join(dir, 'postgres')))) return dir
  }
  throw new Error(INSTALL_HINT)
}

async function freePort(): Promise<number> {
  const srv = createServer()
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', resolve)
  })
  const port = (srv.address() as { port: number }).port
  await new Promise<void>((resolve) => srv.close(() => resolve()))
  return port
}

/** Called from a test's beforeAll: a running, empty server. Pair it with stop() in afterAll. */
export async function startTempPostgres(): Promise<TempPostgres> {
  const bin = await findBinDir()
  const asRoot = process.getuid?.() === 0
  const dir = await mkdtemp(join(tmpdir(), 'loadlab-pg-'))
  const data = join(dir, 'data')
  const log = join(dir, 'server.log')
  let uid: number | undefined
  let gid: number | undefined
  if (asRoot) {
    const ids = await run('id', ['-u', 'postgres']).then(
      async (u) => ({ uid: Number(u.stdout.trim()), gid: Number((await run('id', ['-g', 'postgres'])).stdout.trim()) }),
      () => {
        throw new Error(`running as root, and there is no postgres user to run PostgreSQL as: ${INSTALL_HINT}`)
      },
    )
    uid = ids.uid
    gid = ids.gid
    await chown(dir, uid, gid)
  }
  const pgExec = (tool: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, tool), ...args], { timeout: 60_000 }) : run(join(bin, tool), args, { timeout: 60_000 })

  let server: ChildProcess | undefined
  let stopped: Promise<void> | undefined
  // The postmaster is started directly (not by pg_ctl, which detaches it) as a child with a
  // parent-death signal: if the test runner is killed outright, Linux SIGKILLs the postmaster and
  // its backends exit on postmaster death, so nothing outlives the run. stop() still makes sure
  // the postmaster and its backends are gone before it deletes the data directory.
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      const postmaster = await readPostmasterPid(data)
      const backends = postmaster === null ? [] : await childrenOf(postmaster)
      if (server && server.exitCode === null && server.signalCode === null) {
        const exited = new Promise((resolve) => server?.once('exit', resolve))
        server.kill('SIGQUIT') // PostgreSQL's immediate shutdown
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))])
      }
      if (postmaster !== null) await killAndWait([postmaster, ...backends], data)
      await rm(dir, { recursive: true, force: true })
    })())

  try {
    await pgExec('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'])
    let port = 0
    // A free port can be taken between our check and the server's bind: try a few.
    for (let attempt = 0; ; attempt++) {
      port = await freePort()
      const options = [
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-k',
        dir,
        '-c',
        'fsync=off',
        '-c',
        'synchronous_commit=off',
        '-c',
        'full_page_writes=off',
        '-c',
        'max_connections=200',
        '-c',
        'shared_buffers=32MB',
      ]
      const identity = asRoot ? ['--reuid=postgres', '--regid=postgres', '--init-groups'] : []
      const logFd = openSync(log, 'a')
      server = spawn('setpriv', [...identity, '--pdeathsig', 'SIGKILL', '--', join(bin, 'postgres'), '-D', data, ...options], {
        stdio: ['ignore', 'ignore', logFd],
      })
      closeSync(logFd)
      try {
        await waitUntilAccepting(server, port)
        break
      } catch (error) {
        server.kill('SIGKILL')
        if (attempt >= 2) {
          const serverLog = await readFile(log, 'utf8').catch(() => '')
          throw new Error(`PostgreSQL did not start: ${error instanceof Error ? error.message : String(error)}\n${serverLog.slice(-2000)}`)
        }
      }
    }
    const urlFor = (db: string): string => `postgres://postgres@127.0.0.1:${port}/${encodeURIComponent(db)}`
    return {
      urlFor,
      async createDatabase(name: string): Promise<string> {
        if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`database name "${name}" must be lower-case letters, digits and _`)
        const client = new pg.Client({ connectionString: urlFor('postgres') })
        await client.connect()
        try {
          await client.query(`CREATE DATABASE ${name}`)
        } finally {
          await client.end()
        }
        return urlFor(name)
      },
      postmasterPid: () => readPostmasterPid(data),
      dir,
      stop,
    }
  } catch (error) {
    await stop()
    throw error
  }
}

/** Resolves once the server accepts connections; rejects when it exits first or takes over 60 s. */
async function waitUntilAccepting(server: ChildProcess, port: number): Promise<void> {
  const deadline = Date.now() + 60_000
  for (;;) {
    if (server.exitCode !== null || server.signalCode !== null)
      throw new Error(`postgres exited (${server.exitCode ?? server.signalCode}) before accepting connections on port ${port}`)
    const client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`, connectionTimeoutMillis: 2000 })
    try {
      await client.connect()
      await client.end()
      return
    } catch (error) {
      await client.end().catch(() => undefined)
      if (Date.now() > deadline)
        throw new Error(`postgres did not accept connections on port ${port} within 60 s: ${error instanceof Error ? error.message : String(error)}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
}

/** The postmaster's pid from the first line of postmaster.pid, or null when there is none. */
async function readPostmasterPid(data: string): Promise<number | null> {
  const text = await readFile(join(data, 'postmaster.pid'), 'utf8').catch(() => '')
  const pid = Number(text.split('\n')[0])
  return Number.isInteger(pid) && pid > 0 ? pid : null
}

/** Running processes whose parent is `pid` (the postmaster's backends and helpers), from /proc. */
async function childrenOf(pid: number): Promise<number[]> {
  const entries = await readdir('/proc').catch(() => [] as string[])
  const children: number[] = []
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue
    const stat = await readFile(join('/proc', entry, 'stat'), 'utf8').catch(() => '')
    // Fields after the parenthesised command name: state, ppid, ...
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
    if (ppid === pid) children.push(Number(entry))
  }
  return children
}

/**
 * True while `pid` is still one of this server's processes: it exists, is not a zombie, and is a
 * PostgreSQL process (the postmaster names `data` on its command line, its backends are
 * "postgres: ..."), so a pid the system reused for someone else's process is never touched.
 */
async function running(pid: number, data: string): Promise<boolean> {
  const [stat, cmdline] = await Promise.all([
    readFile(join('/proc', String(pid), 'stat'), 'utf8').catch(() => null),
    readFile(join('/proc', String(pid), 'cmdline'), 'utf8').catch(() => ''),
  ])
  if (stat === null || stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z') return false
  const command = cmdline.replace(/\0/g, ' ')
  return command.startsWith('postgres: ') || (/postgres/.test(command) && command.includes(data))
}

/** SIGKILLs whatever of `pids` still runs and waits until none does (a server left behind would keep the port and the files). */
async function killAndWait(pids: readonly number[], data: string): Promise<void> {
  for (const pid of pids) {
    if (await running(pid, data)) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // gone meanwhile
      }
    }
  }
  const deadline = Date.now() + 30_000
  for (;;) {
    const left = []
    for (const pid of pids) if (await running(pid, data)) left.push(pid)
    if (left.length === 0) return
    if (Date.now() > deadline) throw new Error(`PostgreSQL processes ${left.join(', ')} survived SIGKILL for 30 s; not deleting their data directory`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

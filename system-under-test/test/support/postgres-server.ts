import { execFile } from 'node:child_process'
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
  /** Called in teardown, also after a failure: stops the server immediately and deletes its files. */
  stop(): Promise<void>
}

const INSTALL_HINT =
  'PostgreSQL server binaries (initdb, pg_ctl) were not found on PATH or in /usr/lib/postgresql/*/bin: install them with `apt-get install postgresql` (.ci/run does this in CI)'

async function isFile(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isFile(), () => false)
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

  let started = false
  const stop = async (): Promise<void> => {
    if (started) {
      started = false
      await pgExec('pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w', '-t', '30']).catch(() => undefined)
    }
    await rm(dir, { recursive: true, force: true })
  }

  try {
    await pgExec('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'])
    let port = 0
    // A free port can be taken between our check and the server's bind: try a few.
    for (let attempt = 0; ; attempt++) {
      port = await freePort()
      const options = [
        `-p ${port}`,
        "-c listen_addresses='127.0.0.1'",
        `-k ${dir}`,
        '-c fsync=off',
        '-c synchronous_commit=off',
        '-c full_page_writes=off',
        '-c max_connections=200',
        '-c shared_buffers=32MB',
      ].join(' ')
      try {
        await pgExec('pg_ctl', ['start', '-D', data, '-w', '-t', '60', '-l', log, '-o', options])
        started = true
        break
      } catch (error) {
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
      stop,
    }
  } catch (error) {
    await stop()
    throw error
  }
}

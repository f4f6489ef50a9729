import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { ADMIN_TOKEN_ENV } from '../contract/http-contract.js'
import { ConfigurationError } from '../config/configuration-error.js'

/** Shortest token accepted from the environment: anything shorter can be guessed. */
const MIN_TOKEN_LENGTH = 16

/** A role's admin token and, when it generated one itself, the file it wrote it to. */
export interface AdminToken {
  value: string
  /** Where a generated token was written (only the user may read it); null when it came from the environment. */
  file: string | null
  /** Called when the role stops: removes a generated token's file. */
  dispose(): Promise<void>
}

/** A fresh random token (256 bits, URL-safe): what the harness hands each start, and what a role generates for itself. */
export function newAdminToken(): string {
  return randomBytes(32).toString('base64url')
}

/**
 * Called once by each role CLI at start: the token from LOADLAB_ADMIN_TOKEN (how the harness
 * hands one over), or a new one written to a file only the user can read (a role started by
 * hand), whose path the CLI prints. Throws a ConfigurationError for a token too short to be safe.
 */
export async function resolveAdminToken(role: string, env: NodeJS.ProcessEnv = process.env): Promise<AdminToken> {
  const given = env[ADMIN_TOKEN_ENV]
  if (given !== undefined && given !== '') {
    if (given.trim().length < MIN_TOKEN_LENGTH || /\s/.test(given.trim())) {
      throw new ConfigurationError(
        `${ADMIN_TOKEN_ENV} must be at least ${MIN_TOKEN_LENGTH} characters without spaces (for example: openssl rand -hex 32), or unset to have the ${role} generate one`,
      )
    }
    return { value: given.trim(), file: null, dispose: async () => undefined }
  }
  const value = newAdminToken()
  const dir = await mkdtemp(path.join(tmpdir(), `loadlab-${role}-`))
  const file = path.join(dir, 'admin-token')
  await writeFile(file, `${value}\n`, { mode: 0o600 })
  return { value, file, dispose: () => rm(dir, { recursive: true, force: true }) }
}

/** The stderr line a role prints when it generated its token. */
export function describeGeneratedToken(role: string, token: AdminToken): string | null {
  if (token.file === null) return null
  return `${role}: no ${ADMIN_TOKEN_ENV} given: admin token generated in ${token.file} (send it as Authorization: Bearer <token>)`
}

/**
 * Called by each role CLI: resolves the admin token (environment or generated), says where a
 * generated one is on stderr, starts the role with it, and removes a generated token's file when
 * the role closes (or fails to start).
 */
export async function startWithAdminToken<S extends { close(): Promise<void> }>(role: string, start: (token: string) => Promise<S>): Promise<S> {
  const token = await resolveAdminToken(role)
  let server: S
  try {
    server = await start(token.value)
  } catch (error) {
    await token.dispose()
    throw error
  }
  const said = describeGeneratedToken(role, token)
  if (said !== null) process.stderr.write(`${said}\n`)
  return {
    ...server,
    close: async () => {
      try {
        await server.close()
      } finally {
        await token.dispose()
      }
    },
  }
}

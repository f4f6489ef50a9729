import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { Readable } from 'node:stream'
import { EnvironmentError } from '../environment.js'
import type { Dockerode } from './docker-runtime.js'

/** Where build output goes: one log per image, kept after the build so a failure can be read in full. */
export const IMAGE_LOG_DIR = path.join(tmpdir(), 'loadlab-images')

const PULL_TIMEOUT_MS = 120_000
const TAIL_LINES = 15

interface ProgressEvent {
  stream?: string
  status?: string
  error?: string
  errorDetail?: { message?: string }
}

/**
 * The Docker image operations LoadLab needs (is it there, pull, build, import), each reporting
 * failures with the reason Docker gave and the path of the full log.
 */
export class ImageStore {
  constructor(
    readonly docker: Dockerode,
    /** Progress for the user (one line per step); the details go to the log files. */
    readonly say: (line: string) => void = () => undefined,
  ) {}

  /** The image's labels, or null when it is not present. */
  async inspect(name: string): Promise<{ id: string; labels: Record<string, string> } | null> {
    try {
      const info = await this.docker.getImage(name).inspect()
      return { id: info.Id, labels: info.Config?.Labels ?? {} }
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return null
      throw error
    }
  }

  async has(name: string): Promise<boolean> {
    return (await this.inspect(name)) !== null
  }

  /** Pulls an image; rejects with Docker's reason (no registry, unknown tag, ...) within two minutes. */
  async pull(name: string): Promise<void> {
    const log = this.openLog(name, 'pull')
    try {
      const stream = (await this.docker.pull(name)) as Readable
      await this.follow(stream, log, PULL_TIMEOUT_MS, `pulling ${name}`)
    } catch (error) {
      throw new EnvironmentError(`cannot pull ${name}: ${firstLine(error)}`)
    } finally {
      log.stream.end()
    }
  }

  /** Builds `tag` from a context folder (with its Dockerfile). Rejects with the failing step's output and the log path. */
  async build(
    tag: string,
    contextDir: string,
    options: { buildargs?: Record<string, string>; labels?: Record<string, string>; target?: string } = {},
  ): Promise<void> {
    const log = this.openLog(tag, 'build')
    try {
      const stream = (await this.docker.buildImage(
        { context: contextDir, src: ['.'] },
        { t: tag, buildargs: options.buildargs, labels: options.labels, target: options.target, rm: true, forcerm: true, networkmode: 'host' },
      )) as Readable
      await this.follow(stream, log, 0, `building ${tag}`)
    } catch (error) {
      throw new EnvironmentError(`building image ${tag} failed: ${firstLine(error)}\n${indent(log.lines)}\n  (full log: ${log.file})`)
    } finally {
      log.stream.end()
    }
  }

  /** Imports a root file system (a tar stream) as `tag`, like `docker import`. */
  async importRootfs(tar: Readable, tag: string, labels: Record<string, string>): Promise<void> {
    const log = this.openLog(tag, 'import')
    const [repo, version] = splitTag(tag)
    try {
      const changes = Object.entries(labels).map(([k, v]) => `LABEL ${k}=${JSON.stringify(v)}`)
      const stream = (await this.docker.importImage(tar, { repo, tag: version, changes })) as unknown as Readable
      await this.follow(stream, log, 0, `importing ${tag}`)
    } catch (error) {
      throw new EnvironmentError(`importing ${tag} failed: ${firstLine(error)} (log: ${log.file})`)
    } finally {
      log.stream.end()
    }
  }

  /** A log file for one image operation, under IMAGE_LOG_DIR; `write` also keeps the last lines for an error message. */
  openLog(name: string, what: string): OperationLog {
    mkdirSync(IMAGE_LOG_DIR, { recursive: true })
    const file = path.join(IMAGE_LOG_DIR, `${what}-${name.replace(/[^A-Za-z0-9._-]+/g, '_')}.log`)
    const stream = createWriteStream(file)
    const lines: string[] = []
    return {
      file,
      stream,
      lines,
      write(text: string) {
        stream.write(text)
        lines.push(...text.split('\n').filter((l) => l.trim() !== ''))
        if (lines.length > TAIL_LINES) lines.splice(0, lines.length - TAIL_LINES)
      },
    }
  }

  /** Reads Docker's JSON progress stream to its end; an `error` event in it is a failure (the stream itself ends normally). */
  private follow(stream: Readable, log: OperationLog, timeoutMs: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      let failure: string | null = null
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              stream.destroy()
              reject(new Error(`${what} took longer than ${timeoutMs / 1000} s`))
            }, timeoutMs)
          : null
      this.docker.modem.followProgress(
        stream,
        (error: Error | null) => {
          if (timer) clearTimeout(timer)
          if (error) reject(error)
          else if (failure) reject(new Error(failure))
          else resolve()
        },
        (event: ProgressEvent) => {
          const text = event.stream ?? (event.status ? `${event.status}\n` : '')
          if (text) log.write(text)
          if (event.error) {
            failure = event.errorDetail?.message ?? event.error
            log.write(`ERROR: ${failure}\n`)
          }
        },
      )
    })
  }
}

export interface OperationLog {
  file: string
  stream: WriteStream
  /** The last lines written, for an error message. */
  lines: string[]
  write(text: string): void
}

function splitTag(tag: string): [string, string] {
  const colon = tag.lastIndexOf(':')
  return colon > tag.lastIndexOf('/') ? [tag.slice(0, colon), tag.slice(colon + 1)] : [tag, 'latest']
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!
}

/** Lines indented for an error message. */
export function indent(lines: readonly string[]): string {
  return lines.length === 0 ? '    | (no output)' : lines.map((l) => `    | ${l}`).join('\n')
}

import type net from 'node:net'
import type { z } from 'zod'
import { MAX_LINE_BYTES } from './agent-protocol.js'

// One side of an agent connection: newline-delimited JSON over a TCP socket, each incoming
// line validated against the protocol's schema once, here at the boundary.

export interface ChannelHandlers<In> {
  /** Called with each valid message, in order. */
  onMessage(msg: In): void
  /** Called once for the first line that is not valid JSON or not a valid message; the channel is then closed. */
  onInvalid(problem: string): void
  /** Called once when the connection is gone (closed by either side, or failed), with the reason. */
  onClose(reason: string): void
}

export class MessageChannel<In, Out> {
  private parts: Buffer[] = []
  private partBytes = 0
  /** No more sends or receives (we are closing, or the connection is gone). */
  private closed = false
  private closeReason: string | undefined
  private notified = false

  constructor(
    private readonly socket: net.Socket,
    private readonly schema: z.ZodType<In>,
    private readonly handlers: ChannelHandlers<In>,
  ) {
    socket.setNoDelay(true)
    socket.on('data', (chunk: Buffer) => this.receive(chunk))
    socket.on('error', (err) => {
      this.closeReason ??= err.message
    })
    socket.on('close', () => {
      this.closed = true
      if (this.notified) return
      this.notified = true
      handlers.onClose(this.closeReason ?? 'the connection was closed')
    })
  }

  /** Writes one message; false when the connection is already gone. */
  send(msg: Out): boolean {
    if (this.closed || this.socket.destroyed) return false
    this.socket.write(`${JSON.stringify(msg)}\n`)
    return true
  }

  /** Sends `last` (if given), then closes the connection once it is written. */
  close(reason: string, last?: Out): void {
    if (this.socket.destroyed) return
    this.closed = true
    this.closeReason ??= reason
    if (last !== undefined) this.socket.write(`${JSON.stringify(last)}\n`)
    this.socket.end()
    // A peer that does not close its side must not keep us waiting.
    setTimeout(() => this.socket.destroy(), 2000).unref()
  }

  /** Drops the connection at once (the peer is considered dead). */
  destroy(reason: string): void {
    this.closeReason ??= reason
    this.socket.destroy()
  }

  private receive(chunk: Buffer): void {
    let from = 0
    for (let nl = chunk.indexOf(10, from); nl !== -1; nl = chunk.indexOf(10, from)) {
      const piece = chunk.subarray(from, nl)
      from = nl + 1
      const line = this.parts.length === 0 ? piece.toString('utf8') : Buffer.concat([...this.parts, piece]).toString('utf8')
      this.parts = []
      this.partBytes = 0
      if (line.trim() !== '' && !this.handle(line)) return
    }
    if (from < chunk.length) {
      this.parts.push(chunk.subarray(from))
      this.partBytes += chunk.length - from
      if (this.partBytes > MAX_LINE_BYTES) this.invalid(`a message longer than ${MAX_LINE_BYTES} bytes`)
    }
  }

  /** false when the line was invalid (the channel is closing). */
  private handle(line: string): boolean {
    let json: unknown
    try {
      json = JSON.parse(line)
    } catch {
      this.invalid(`a line that is not JSON: ${line.slice(0, 120)}`)
      return false
    }
    const parsed = this.schema.safeParse(json)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      const type = typeof (json as { type?: unknown } | null)?.type === 'string' ? (json as { type: string }).type : 'unknown'
      this.invalid(`an invalid '${type}' message: ${issue ? `${issue.path.join('.') || '(message)'}: ${issue.message}` : parsed.error.message}`)
      return false
    }
    this.handlers.onMessage(parsed.data)
    return !this.closed
  }

  private invalid(problem: string): void {
    if (this.closed) return
    this.closeReason = problem
    // The owner may answer with a last message (close(reason, reject)); otherwise the connection is dropped.
    this.handlers.onInvalid(problem)
    this.closed = true
    if (!this.socket.writableEnded) this.socket.destroy()
  }
}

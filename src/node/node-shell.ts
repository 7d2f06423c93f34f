/**
 * The node's own process on the main thread: the caller of `node.call`, the watcher of
 * `node.monitor`, the spawner of `node.spawn`. It traps exits so a stray exit signal cannot end it.
 */
import { Actor } from '../behaviours/actor.ts'
import { isDownMessage, type DownMessage } from '../core/envelope.ts'

export class NodeShell extends Actor<void, unknown> {
  readonly downs = new Map<number, { resolve: (down: DownMessage) => void; reject: (error: Error) => void }>()

  override init(): void {
    this.trapExit(true)
  }

  receive(message: unknown): void {
    if (isDownMessage(message)) {
      const waiting = this.downs.get(message.ref.key)
      if (waiting !== undefined) {
        this.downs.delete(message.ref.key)
        waiting.resolve(message)
      }
    }
    // Anything else sent to the node's own pid has nobody to read it: dropped.
  }

  /** The node stopped: every monitor's `down` still pending rejects with `error`. */
  stopped(error: Error): void {
    for (const waiting of this.downs.values()) waiting.reject(error)
    this.downs.clear()
  }
}

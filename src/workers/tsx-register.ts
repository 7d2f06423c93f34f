/**
 * Putting tsx on a worker thread, for Node.js versions that do not carry the main thread's loader
 * into workers (Node 20). Two ways, chosen by the main thread (thread-host's tsxRegistration):
 *
 *   { hooks }   module.register(tsx's ESM hooks module): the hooks run on a hooks thread of this
 *               thread's own (Node 20 has no other kind), and nothing of tsx loads here
 *   { api }     tsx's own register (tsx/esm/api), where Node has module.registerHooks: tsx then
 *               runs its hooks on this thread, with no hooks thread
 *
 * thread-host's boot script does the same, written out, for Skein's .ts sources (which cannot load
 * this file before tsx is on).
 */
import { register } from 'node:module'

/** How a thread takes on tsx: its ESM hooks module for module.register, or its register API. */
export type TsxRegistration = { readonly hooks: string } | { readonly api: string }

export async function registerTsx(how: TsxRegistration): Promise<void> {
  if ('api' in how) {
    const api = (await import(how.api)) as { register?: () => unknown; default?: { register: () => unknown } }
    ;(api.register ?? api.default?.register)?.()
    return
  }
  // tsx's initialize hook throws without a `data` object (its own register passes one).
  register(how.hooks, { data: {} })
}

/**
 * A call that does not block its caller (OTP's send_request / wait_response / check_response),
 * for Server.sendRequest, Server.waitResponse and Server.checkResponse (server.ts): the call's
 * promise, and its outcome once settled, so that a check needs no await.
 */

/** An outstanding request made with Server.sendRequest. */
export interface RequestId<R = unknown> {
  /** @internal settles with the reply */
  readonly promise: Promise<R>
  /** @internal */
  state: { done: false } | { done: true; ok: true; value: R } | { done: true; ok: false; error: unknown }
}

/**
 * What `Server.waitResponse` and `Server.checkResponse` report: `{ reply }`, or that none has
 * come yet (`'timeout'` from waitResponse, `'no_reply'` from checkResponse).
 */
export type Response<R> = {
  /** The reply. */
  readonly reply: R
} | 'timeout' | 'no_reply'

/** The id of `promise`, a call made with no timeout of its own. */
export function sendRequest<R>(promise: Promise<R>): RequestId<R> {
  const id: RequestId<R> = { promise, state: { done: false } }
  promise.then((value) => { id.state = { done: true, ok: true, value } },
    (error: unknown) => { id.state = { done: true, ok: false, error } })
  return id
}

/** Up to `timeout` ms for the reply: `{ reply }`, or 'timeout' (the request stays pending). Rejects as the call. */
export async function waitResponse<R>(id: RequestId<R>, timeout: number): Promise<Response<R>> {
  if (!id.state.done && timeout !== Infinity) {
    let timer: ReturnType<typeof setTimeout> | undefined
    const expired = new Promise<'timeout'>((resolve) => { timer = setTimeout(resolve, timeout, 'timeout') })
    const first = await Promise.race([id.promise.then(() => 'done' as const, () => 'done' as const), expired])
    clearTimeout(timer)
    if (first === 'timeout') return 'timeout'
  }
  return { reply: await id.promise }
}

/** The reply if it has come, else 'no_reply'. @throws the call's error if it failed */
export function checkResponse<R>(id: RequestId<R>): Response<R> {
  const st = id.state
  if (!st.done) return 'no_reply'
  if (st.ok) return { reply: st.value }
  throw st.error
}

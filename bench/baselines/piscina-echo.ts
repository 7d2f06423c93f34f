// The piscina baseline's task: answer at once, as the Skein pool's workers do ('ping' → 'pong').
export default function echo(request: unknown): unknown {
  return request === 'ping' ? 'pong' : request
}

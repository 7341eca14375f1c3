/**
 * Bundled in place of the tunnel package (tsconfig "paths"). @actions/http-client makes a tunnel
 * agent with it when a proxy is set, before the action's own agent replaces it (http/request.ts):
 * node's proxy support (24.5 and later; the runner's node24 is far newer) carries the tunnel, with
 * keep-alive. The real package requires `assert` when it loads, about a quarter of the action's
 * start-up above the floor of any HTTPS client (bench/RESULTS.md). No agent: http-client then makes
 * a plain one, which the action replaces.
 */
export function httpOverHttp(): undefined {
  return undefined
}
export function httpsOverHttp(): undefined {
  return undefined
}
export function httpOverHttps(): undefined {
  return undefined
}
export function httpsOverHttps(): undefined {
  return undefined
}

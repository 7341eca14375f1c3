import { isIP } from 'node:net'

export function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase()
  if (host === 'localhost') return true
  if (isIP(host) === 4) return host.startsWith('127.')
  return host === '::1'
}

/**
 * Why a URL may not carry a credential, or undefined when it may: https, or plain http to a
 * loopback host; no user part, no query. Shared by the url input and the post step's saved state.
 */
export function unsafeUrlReason(url: URL): string | undefined {
  if (url.username || url.password) return 'it holds a user name or password'
  if (url.search) return 'it has a query string'
  if (url.protocol === 'https:') return undefined
  if (url.protocol === 'http:' && isLoopback(url.hostname)) return undefined
  return `it uses ${url.protocol}// to a host that is not loopback`
}

/**
 * Splits a pasted address at the first path segment that starts the provider's own paths (by
 * segment, never by string replacement: a host may well be named api.example.com). Returns the
 * root (origin plus any real path prefix, no trailing slash) and the segments from the marker on.
 */
export function splitAtMarker(url: URL, isMarker: (segment: string) => boolean): { root: string; rest: string[] } {
  const segments = url.pathname.split('/').filter(Boolean)
  const cut = segments.findIndex((segment) => isMarker(segment.toLowerCase()))
  const prefix = cut === -1 ? segments : segments.slice(0, cut)
  return { root: url.origin + prefix.map((segment) => `/${segment}`).join(''), rest: cut === -1 ? [] : segments.slice(cut) }
}

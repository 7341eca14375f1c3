/**
 * What the unit tests of the providers on the Cloud Director API (vcd, vcfa) share: its paths and
 * error body, the /api/versions XML, a session answer, and one fake host on nock that records what
 * each of its routes saw.
 */
import nock from 'nock'
import { recorder, type Reply, type Seen } from './helpers.ts'

export const SESSION_PATH = '/cloudapi/1.0.0/sessions/current'
/** The logout of API versions below 36. */
export const LEGACY_SESSION_PATH = '/api/session'
export const INVALID_GRANT = { minorErrorCode: 'invalid_grant', message: 'Invalid refresh token' }

export interface VersionsOptions {
  /** A namespace prefix on every tag, as some servers write them. */
  prefix?: string
  /** A pre-release in its documented place (BC-VCD SupportedVersionsType: AlphaVersion), which never counts. */
  alpha?: string
  /** The host of the LoginUrl entries. */
  origin?: string
}

/** The answer of GET /api/versions: a VersionInfo for each entry, in the order given. */
export function versionsXml(entries: (string | { version: string; deprecated?: boolean })[], options: VersionsOptions = {}): string {
  const { prefix = '', alpha, origin = 'https://vcd.example.com' } = options
  const p = prefix ? `${prefix}:` : ''
  const infos = entries
    .map((entry) => (typeof entry === 'string' ? { version: entry } : entry))
    .map(
      ({ version, deprecated }) =>
        `  <${p}VersionInfo deprecated="${deprecated ? 'true' : 'false'}">\n    <${p}Version>${version}</${p}Version>\n` +
        `    <${p}LoginUrl>${origin}/api/sessions</${p}LoginUrl>\n  </${p}VersionInfo>`,
    )
    .concat(alpha ? [`  <${p}AlphaVersion><${p}Version>${alpha}</${p}Version></${p}AlphaVersion>`] : [])
    .join('\n')
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${p}SupportedVersions xmlns${prefix ? `:${prefix}` : ''}="http://www.vmware.com/vcloud/versions">\n${infos}\n</${p}SupportedVersions>`
}

/** The answer of GET sessions/current. */
export function sessionAnswer(user: string, org: string): Record<string, unknown> {
  return {
    id: 'urn:vcloud:session:1234',
    user: { name: user, id: 'urn:vcloud:user:1' },
    org: { name: org, id: 'urn:vcloud:org:1' },
    roles: ['System Administrator'],
    sessionIdleTimeoutMinutes: 30,
  }
}

export type Route = (request: Seen) => Reply | Promise<Reply>

export interface CloudDirectorRoutes {
  /** Each token path served, with its answer. */
  tokens: { path: string; answer: Route }[]
  versions: Route
  session: Route
  /** Both logouts (sessions/current and the legacy one); 204 unless set. */
  logout?: Route
  /** The logouts fail on the network with this error instead. */
  logoutError?: Error
}

/**
 * One host on the Cloud Director API: token paths, /api/versions, GET sessions/current and the
 * logouts, each recording what it saw. With `persist`, every route answers every request; without,
 * the token, versions and session routes answer once (a test that wants a second answer adds it).
 * Only a token path must be asked for; the logouts answer any number of times.
 */
export function fakeCloudDirector(origin: string, routes: CloudDirectorRoutes, { persist }: { persist: boolean }) {
  const seen = { token: [] as Seen[], versions: [] as Seen[], session: [] as Seen[], logout: [] as Seen[] }
  const scope = () => (persist ? nock(origin).persist() : nock(origin))
  for (const path of [SESSION_PATH, LEGACY_SESSION_PATH]) {
    const logout = nock(origin).persist().delete(path).optionally()
    if (routes.logoutError) logout.replyWithError(routes.logoutError)
    else logout.reply(recorder(seen.logout, routes.logout ?? (() => [204])))
  }
  for (const { path, answer } of routes.tokens) {
    const token = scope().post(path).query(true)
    ;(persist ? token.optionally() : token).reply(recorder(seen.token, answer))
  }
  scope().get('/api/versions').query(true).optionally().reply(recorder(seen.versions, routes.versions))
  scope().get(SESSION_PATH).query(true).optionally().reply(recorder(seen.session, routes.session))
  return seen
}

/** The logout at `path` answers `reply` (`times` times), recording what it saw. */
export function onLogout(origin: string, reply: Reply, { path = SESSION_PATH, times = 1 } = {}): Seen[] {
  const seen: Seen[] = []
  nock(origin)
    .delete(path)
    .times(times)
    .optionally()
    .reply(recorder(seen, () => reply))
  return seen
}

/** The paths of the requests, in order. */
export const paths = (seen: Seen[]): string[] => seen.map((request) => request.url.pathname)

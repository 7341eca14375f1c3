/**
 * kubectl (support/kubectl.ts) against a small HTTPS server that wants a bearer token: what a
 * kubeconfig needs for the real client to use it (the server, certificate-authority-data, the
 * token), and how kubectl reaches a server through an https proxy. The kubeconfig tests of the
 * action build on this.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EmulatorServer, parseBearer } from './support/emulator.ts'
import { randomToken } from './support/jwt.ts'
import { KUBECTL, KUBECTL_SKIP, kubectl, kubectlDir, removeDir, writeKubeconfig, type KubeconfigSpec } from './support/kubectl.ts'
import { ConnectProxy } from './support/tcp.ts'

const PROXIED_HOST = 'k8s.example.test'
const VERSION = { major: '1', minor: '30', gitVersion: 'v1.30.0+emulator', platform: 'linux/amd64' }

/** A Kubernetes API server that knows one bearer token and answers /version (as a real one does: a 401 Status without it). */
function apiServer(token: string): EmulatorServer {
  return new EmulatorServer({
    names: [PROXIED_HOST],
    routes: [
      {
        name: 'version',
        method: 'GET',
        path: '/version',
        handle: (request) =>
          parseBearer(request.headers.authorization) === token
            ? { status: 200, body: VERSION }
            : {
                status: 401,
                body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 },
              },
      },
    ],
  })
}

describe.skipIf(!KUBECTL)(`kubectl${KUBECTL_SKIP}`, () => {
  const token = randomToken(40)
  let server: EmulatorServer
  let dir: string

  beforeAll(async () => {
    server = await apiServer(token).start()
    dir = kubectlDir()
  })
  afterAll(async () => {
    await server?.close()
    if (dir) removeDir(dir)
  })

  const version = (file: string | undefined, env: Record<string, string> = {}) => kubectl(dir, file, ['get', '--raw', '/version'], env)
  const config = (file: string, spec: Partial<KubeconfigSpec> = {}) =>
    writeKubeconfig(dir, { server: server.url, token, ca: server.ca, ...spec }, file)

  it('reads a kubeconfig and calls the server with the bearer token, trusting certificate-authority-data', async () => {
    server.clearRequests()
    const result = await version(config('ok.yaml', { namespace: 'team-a' }))
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toEqual(VERSION)
    // Google Cloud's kubectl dispatcher asks /version?timeout=5s first to pick a version: every request carries the token.
    const requests = server.requestsTo('version')
    expect(requests.length).toBeGreaterThanOrEqual(1)
    for (const request of requests) expect(request.headers.authorization).toBe(`Bearer ${token}`)
  })

  it('finds the kubeconfig through KUBECONFIG too', async () => {
    const result = await version(undefined, { KUBECONFIG: config('env.yaml') })
    expect(result.code, result.stderr).toBe(0)
  })

  it('fails with "Unauthorized" for a wrong token, and on an unknown CA without certificate-authority-data', async () => {
    const wrong = await version(config('wrong.yaml', { token: 'not-the-token' }))
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toMatch(/Unauthorized/)

    const noCa = await version(config('no-ca.yaml', { ca: undefined }))
    expect(noCa.code).toBe(1)
    expect(noCa.stderr).toMatch(/x509: certificate signed by unknown authority/)
  })

  it('goes through HTTPS_PROXY to a host only the proxy resolves, and never to a loopback address', async () => {
    const proxy = await new ConnectProxy({ hosts: { [PROXIED_HOST]: '127.0.0.1' } }).start()
    try {
      const result = await version(config('proxy.yaml', { server: server.urlFor(PROXIED_HOST) }), { HTTPS_PROXY: proxy.url })
      expect(result.code, result.stderr).toBe(0)
      expect(proxy.tunnels.map((tunnel) => tunnel.target)).toContain(`${PROXIED_HOST}:${server.port}`)
      expect(proxy.tunnels.every((tunnel) => tunnel.status === 200)).toBe(true)

      // Go's proxy rules leave loopback hosts alone: 127.0.0.1 is reached directly.
      const tunnelsBefore = proxy.tunnels.length
      expect((await version(config('direct.yaml'), { HTTPS_PROXY: proxy.url })).code).toBe(0)
      expect(proxy.tunnels).toHaveLength(tunnelsBefore)
    } finally {
      await proxy.close()
    }
  })
})

/**
 * kubectl (support/kubectl.ts) against a small HTTPS server that wants a bearer token: what a
 * kubeconfig needs for the real client to use it (the server, certificate-authority-data, the
 * token), and how kubectl reaches a server through an https proxy. The kubeconfig tests of the
 * action build on this.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { EmulatorServer, parseBearer } from './support/emulator.ts'
import { randomToken } from './support/jwt.ts'
import { kubectlSkipReason, runKubectl } from './support/kubectl.ts'
import { ConnectProxy } from './support/tcp.ts'

const skip = kubectlSkipReason()
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

/** A kubeconfig with one cluster, user and context, every value quoted. */
function kubeconfig(fields: { server: string; token: string; ca?: string }): string {
  const caLine = fields.ca ? `\n    certificate-authority-data: "${Buffer.from(fields.ca).toString('base64')}"` : ''
  return `apiVersion: v1
kind: Config
clusters:
- name: "test-cluster"
  cluster:
    server: "${fields.server}"${caLine}
users:
- name: "test-user"
  user:
    token: "${fields.token}"
contexts:
- name: "test-context"
  context:
    cluster: "test-cluster"
    user: "test-user"
    namespace: "test-namespace"
current-context: "test-context"
`
}

describe.skipIf(skip !== undefined)(`kubectl${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const token = randomToken(40)
  let server: EmulatorServer
  let dir: string

  beforeAll(async () => {
    server = await apiServer(token).start()
    dir = mkdtempSync(join(tmpdir(), 'vmw-kubeconfig-'))
  })
  afterAll(async () => {
    await server?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  function write(name: string, text: string): string {
    const file = join(dir, name)
    writeFileSync(file, text, { mode: 0o600 })
    return file
  }

  it('reads a kubeconfig and calls the server with the bearer token, trusting certificate-authority-data', async () => {
    server.clearRequests()
    const file = write('ok.yaml', kubeconfig({ server: server.url, token, ca: server.ca }))
    const result = await runKubectl(['get', '--raw', '/version'], { kubeconfig: file })
    expect(result.stderr).toBe('')
    expect(result.exitCode).toBe(0)
    expect(JSON.parse(result.stdout)).toEqual(VERSION)
    // Google Cloud's kubectl dispatcher asks /version?timeout=5s first to pick a version: every request carries the token.
    const requests = server.requestsTo('version')
    expect(requests.length).toBeGreaterThanOrEqual(1)
    for (const request of requests) expect(request.headers.authorization).toBe(`Bearer ${token}`)
  })

  it('finds the kubeconfig through KUBECONFIG too', async () => {
    const file = write('env.yaml', kubeconfig({ server: server.url, token, ca: server.ca }))
    const result = await runKubectl(['get', '--raw', '/version'], { env: { KUBECONFIG: file } })
    expect(result.exitCode, result.stderr).toBe(0)
  })

  it('fails with "Unauthorized" for a wrong token, and on an unknown CA without certificate-authority-data', async () => {
    const wrong = await runKubectl(['get', '--raw', '/version'], {
      kubeconfig: write('wrong.yaml', kubeconfig({ server: server.url, token: 'not-the-token', ca: server.ca })),
    })
    expect(wrong.exitCode).toBe(1)
    expect(wrong.stderr).toMatch(/Unauthorized/)

    const noCa = await runKubectl(['get', '--raw', '/version'], {
      kubeconfig: write('no-ca.yaml', kubeconfig({ server: server.url, token })),
    })
    expect(noCa.exitCode).toBe(1)
    expect(noCa.stderr).toMatch(/x509: certificate signed by unknown authority/)
  })

  it('goes through HTTPS_PROXY to a host only the proxy resolves, and never to a loopback address', async () => {
    const proxy = await new ConnectProxy({ hosts: { [PROXIED_HOST]: '127.0.0.1' } }).start()
    try {
      const file = write('proxy.yaml', kubeconfig({ server: server.urlFor(PROXIED_HOST), token, ca: server.ca }))
      const result = await runKubectl(['get', '--raw', '/version'], { kubeconfig: file, env: { HTTPS_PROXY: proxy.url } })
      expect(result.exitCode, result.stderr).toBe(0)
      expect(proxy.tunnels.map((tunnel) => tunnel.target)).toContain(`${PROXIED_HOST}:${server.port}`)
      expect(proxy.tunnels.every((tunnel) => tunnel.status === 200)).toBe(true)

      // Go's proxy rules leave loopback hosts alone: 127.0.0.1 is reached directly.
      const tunnelsBefore = proxy.tunnels.length
      const direct = write('direct.yaml', kubeconfig({ server: server.url, token, ca: server.ca }))
      expect((await runKubectl(['get', '--raw', '/version'], { kubeconfig: direct, env: { HTTPS_PROXY: proxy.url } })).exitCode).toBe(0)
      expect(proxy.tunnels).toHaveLength(tunnelsBefore)
    } finally {
      await proxy.close()
    }
  })
})

/**
 * The end-to-end test support (test/e2e/support/) checked on its own: the leak scanner can fail,
 * the runner emulation passes what the runner passes (and nothing else), and the emulator server's
 * faults and recording and the CONNECT proxy do what their comments say. Each provider's emulator
 * is checked in its own <name>-emulator.e2e.test.ts. Fake actions here are tiny scripts written to
 * a temp dir.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { EmulatorServer, type Route } from './support/emulator.ts'
import { ConnectProxy } from './support/tcp.ts'
import {
  assertNoLeaks,
  findLeaks,
  inputEnvName,
  interpretStep,
  parseCommandLine,
  parseFileCommand,
  readActionYml,
  runJob,
  runStep,
} from './support/runner.ts'

const SECRET = 'sEcReT0123456789abcdefXYZ'
const scratch = mkdtempSync(join(tmpdir(), 'vmw-e2e-harness-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

/** Writes a fake action (an .mjs script) and returns its path. */
function fakeAction(name: string, source: string): string {
  const file = join(scratch, `${name}.mjs`)
  writeFileSync(file, source)
  return file
}

function stepOf(stdout: string, extra: { stderr?: string; summary?: string; masks?: string[] } = {}) {
  return {
    step: 'main' as const,
    stderr: extra.stderr ?? '',
    summary: extra.summary ?? '',
    ...interpretStep({ stdout, stderr: extra.stderr, masks: extra.masks }),
  }
}

describe('leak scanner', () => {
  it('fails on a secret printed unmasked', () => {
    const step = stepOf(`hello\nthe token is ${SECRET}\n`)
    expect(() => assertNoLeaks(step, [SECRET])).toThrow(/main log, line 2/)
  })

  it('passes when the secret was masked before it was printed, and shows *** as the runner does', () => {
    const step = stepOf(`::add-mask::${SECRET}\nthe token is ${SECRET}.\n`)
    expect(step.log).toEqual(['the token is ***.'])
    expect(() => assertNoLeaks(step, [SECRET])).not.toThrow()
  })

  it('fails on an 8-character piece of a masked secret (the runner masks only whole values)', () => {
    const step = stepOf(`::add-mask::${SECRET}\ntail: ...${SECRET.slice(-8)}\n`)
    expect(findLeaks(step, [SECRET])).toHaveLength(1)
    expect(() => assertNoLeaks(step, [SECRET])).toThrow(/\[\[/)
    // 7 characters are below the threshold.
    expect(() => assertNoLeaks(stepOf(`tail: ...${SECRET.slice(-7)}\n`), [SECRET])).not.toThrow()
  })

  it('flags a line printed before its secret was masked, even with no secrets given', () => {
    const step = stepOf(`early ${SECRET}\n::add-mask::${SECRET}\nlate ${SECRET}\n`)
    expect(step.log).toEqual([`early ${SECRET}`, 'late ***'])
    expect(step.earlyLeaks).toEqual([{ line: 0, text: `early ${SECRET}`, mask: 0 }])
    expect(() => assertNoLeaks(step, [])).toThrow(/before its secret was masked/)
  })

  it('scans stderr and the job summary unmasked', () => {
    expect(() => assertNoLeaks(stepOf(`::add-mask::${SECRET}\n`, { stderr: `oops ${SECRET}\n` }), [SECRET])).toThrow(/main stderr/)
    expect(() => assertNoLeaks(stepOf(`::add-mask::${SECRET}\n`, { summary: `| token | ${SECRET} |\n` }), [SECRET])).toThrow(/job summary/)
  })

  it('catches a leak through a real process run by runStep', async () => {
    const action = fakeAction(
      'leaky',
      `console.log('token ' + process.env['INPUT_API-TOKEN']); console.log('::add-mask::' + process.env['INPUT_API-TOKEN'])`,
    )
    const step = await runStep({ action, inputs: { 'api-token': SECRET } })
    expect(step.exitCode).toBe(0)
    expect(() => assertNoLeaks(step, [SECRET])).toThrow(/Secrets leaked/)
  })
})

describe('workflow commands and file commands', () => {
  it('parses properties and unescapes data as the runner does', () => {
    expect(parseCommandLine('::warning file=a.ts,title=T%3Ax%2Cy::multi%0Aline 100%25', 3)).toEqual({
      command: 'warning',
      properties: { file: 'a.ts', title: 'T:x,y' },
      message: 'multi\nline 100%',
      line: 3,
      form: 'v2',
    })
    expect(parseCommandLine('plain text', 0)).toBeUndefined()
  })

  it('renders warnings, errors, notices; hides debug unless asked; honours stop-commands', () => {
    const stdout = [
      '::debug::d1',
      '::warning::w1',
      '::error title=E::e1',
      '::notice::n1',
      '::stop-commands::tok1',
      '::add-mask::abcdefgh',
      '::tok1::',
      'abcdefgh',
    ].join('\n')
    const quiet = interpretStep({ stdout })
    expect(quiet.log).toEqual([
      '##[warning]w1',
      '##[error]E: e1',
      '##[notice]n1',
      '::stop-commands::tok1',
      '::add-mask::abcdefgh',
      '::tok1::',
      'abcdefgh',
    ])
    expect(quiet.debug).toEqual(['d1'])
    expect(quiet.masks).toEqual([])
    expect(interpretStep({ stdout, debug: true }).log[0]).toBe('##[debug]d1')
  })

  it('reads heredoc and name=value file commands, and reports a missing delimiter', () => {
    const errors: string[] = []
    const text = 'a<<EOF_1\nline 1\nline 2\nEOF_1\nb=x=y\nc<<EOF_2\nnever closed\n'
    expect(parseFileCommand(text, 'output', errors)).toEqual({ a: 'line 1\nline 2', b: 'x=y' })
    expect(errors).toEqual([expect.stringMatching(/delimiter not found/)])
  })

  it('reads inputs and defaults from action.yml', () => {
    const yml = readActionYml()
    expect(yml.inputs.provider.default).toBe('csp')
    expect(yml.inputs['export-env'].default).toBe('true')
    expect(yml.inputs['api-token'].default).toBeUndefined()
    expect(yml.outputs).toContain('access-token')
    expect(yml.runs).toMatchObject({ using: 'node24', main: 'dist/main/index.js', post: 'dist/post/index.js', 'post-if': 'always()' })
    expect(inputEnvName('api-token')).toBe('INPUT_API-TOKEN')
    expect(inputEnvName('my input')).toBe('INPUT_MY_INPUT')
  })
})

describe('runner emulation', () => {
  const envDump = fakeAction(
    'env-dump',
    `import { appendFileSync } from 'node:fs'
     const env = process.env
     console.log('ENV ' + JSON.stringify(env))
     if (env.STATE_phase !== 'main-done') {
       appendFileSync(env.GITHUB_STATE, 'phase<<D1\\nmain-done\\nD1\\n')
       appendFileSync(env.GITHUB_ENV, 'FROM_MAIN=yes\\n')
       appendFileSync(env.GITHUB_OUTPUT, 'out<<D2\\ntwo\\nlines\\nD2\\n')
       appendFileSync(env.GITHUB_STEP_SUMMARY, '### main\\n')
       console.log('::add-mask::maskedinmain')
       process.exitCode = Number(env.INPUT_PROVIDER === 'fail')
     } else {
       console.log('post sees maskedinmain')
     }`,
  )
  const saved = { ...process.env }
  afterEach(() => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key]
    Object.assign(process.env, saved)
  })

  it('passes inputs with defaults, runner variables, and nothing inherited from the test process', async () => {
    process.env.https_proxy = 'http://should-not-leak.invalid:1'
    process.env.NODE_EXTRA_CA_CERTS = '/nowhere.pem'
    const step = await runStep({ action: envDump, inputs: { 'api-token': 'tok', url: undefined }, env: { EXTRA: '1' } })
    expect(step.exitCode).toBe(0)
    const env = JSON.parse(
      step.stdout
        .split('\n')
        .find((line) => line.startsWith('ENV '))!
        .slice(4),
    ) as Record<string, string>
    for (const [name, spec] of Object.entries(readActionYml().inputs)) {
      expect(env[inputEnvName(name)], name).toBe(name === 'api-token' ? 'tok' : (spec.default ?? ''))
    }
    expect(env.https_proxy).toBeUndefined()
    expect(env.NODE_EXTRA_CA_CERTS).toBeUndefined()
    expect(env.EXTRA).toBe('1')
    expect(env.GITHUB_ACTIONS).toBe('true')
    for (const name of ['GITHUB_OUTPUT', 'GITHUB_ENV', 'GITHUB_STATE', 'GITHUB_STEP_SUMMARY', 'RUNNER_TEMP'])
      expect(env[name], name).toBeTruthy()
    expect(Object.keys(env).some((name) => name.startsWith('STATE_'))).toBe(false)
    expect(step.outputs).toEqual({ out: 'two\nlines' })
    expect(step.env).toEqual({ FROM_MAIN: 'yes' })
    expect(step.state).toEqual({ phase: 'main-done' })
    expect(step.summary).toBe('### main\n')
  })

  it('refuses an input action.yml does not declare (a typo in a test)', async () => {
    await expect(runStep({ action: envDump, inputs: { 'api-tokn': 'x' } })).rejects.toThrow(/unknown input/)
  })

  it('runJob runs post after a failed main, with its state, env and masks', async () => {
    const job = await runJob({ action: envDump, inputs: { provider: 'fail' } })
    expect(job.main.exitCode).toBe(1)
    expect(job.main.succeeded).toBe(false)
    expect(job.post).toBeDefined()
    const env = JSON.parse(
      job
        .post!.stdout.split('\n')
        .find((line) => line.startsWith('ENV '))!
        .slice(4),
    ) as Record<string, string>
    expect(env.STATE_phase).toBe('main-done')
    expect(env.FROM_MAIN).toBe('yes')
    expect(job.post!.log).toContain('post sees ***')
    expect(job.env).toEqual({ FROM_MAIN: 'yes' })
  })

  it('kills a step that does not end and says so', async () => {
    const hang = fakeAction('hang', 'setInterval(() => {}, 1000)')
    const step = await runStep({ action: hang, timeoutMs: 300 })
    expect(step.timedOut).toBe(true)
    expect(step.exitCode).toBeNull()
  })
})

describe('emulator server', () => {
  let calls = 0
  const routes: Route[] = [
    {
      name: 'echo',
      method: 'POST',
      path: '/echo',
      credential: (request) => request.form?.secret,
      handle: (request) => {
        calls++
        return { status: 200, body: { ok: true, calls, form: request.form ?? null } }
      },
    },
    { name: 'item', method: 'GET', path: /^\/items\/([^/]+)$/, handle: (_request, [id]) => ({ status: 200, body: `item ${id}` }) },
  ]
  let server: EmulatorServer
  const post = (body = 'secret=abcdefghijkl0123', headers: Record<string, string> = {}) =>
    server.request('/echo?x=1', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body })

  beforeAll(async () => {
    server = await new EmulatorServer({ routes }).start()
  })
  afterAll(async () => {
    await server?.close()
  })
  afterEach(() => {
    server.clearFaults()
    server.clearRequests()
  })

  it('records requests and routes by name, with 404 and 405 for the rest', async () => {
    await post('secret=abcdefghijkl0123', { authorization: 'Basic dXNlcjpwYXNzd29yZA==' })
    expect((await server.request('/items/a%20b')).body).toBe('item a b')
    expect((await server.request('/nothing')).status).toBe(404)
    expect((await server.request('/echo')).status).toBe(405)
    const [first] = server.requests
    expect(first).toMatchObject({
      seq: 1,
      method: 'POST',
      path: '/echo',
      query: { x: '1' },
      form: { secret: 'abcdefghijkl0123' },
      route: 'echo',
      status: 200,
    })
    expect(server.requests.map((request) => request.route)).toEqual(['echo', 'item', undefined, undefined])
    expect(server.requestsTo('item')).toHaveLength(1)
    expect(server.secrets()).toContain('dXNlcjpwYXNzd29yZA==')
  })

  it('applies a fault to the requests it counts: skip, times, when', async () => {
    const fault = server.fault('echo', { skip: 1, times: 2, status: 503, headers: { 'retry-after': '1' } })
    server.fault('echo', { when: (request) => request.form?.secret === 'special-value-1', status: 418 })
    const statuses = []
    for (let i = 0; i < 4; i++) statuses.push((await post()).status)
    statuses.push((await post('secret=special-value-1')).status)
    expect(statuses).toEqual([200, 503, 503, 200, 418])
    expect(fault.hits).toBe(2)
    expect(server.requests[1].fault).toBe('status 503')
    fault.remove()
  })

  it('reset destroys the connection; hang never answers until close', async () => {
    server.fault('echo', { reset: true })
    await expect(post()).rejects.toThrow()
    const hanging = await new EmulatorServer({ routes }).start()
    hanging.fault('echo', { hang: true })
    const pending = hanging.request('/echo', { method: 'POST', body: '' })
    let settled = false
    pending.catch(() => {}).finally(() => (settled = true))
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(settled).toBe(false)
    expect(hanging.requests[0].status).toBeUndefined()
    await hanging.close()
    await expect(pending).rejects.toThrow()
  })

  it('onArrival sees each request as it arrives, recorded and not yet answered', async () => {
    const arrived: { seq: number; status?: number; recorded: boolean }[] = []
    const hooked = await new EmulatorServer({
      routes,
      onArrival: (request) => arrived.push({ seq: request.seq, status: request.status, recorded: hooked.requests.includes(request) }),
    }).start()
    try {
      hooked.fault('echo', { status: 503 })
      expect((await hooked.request('/echo', { method: 'POST', body: '' })).status).toBe(503)
      expect((await hooked.request('/nothing')).status).toBe(404)
      expect(arrived).toEqual([
        { seq: 1, status: undefined, recorded: true },
        { seq: 2, status: undefined, recorded: true },
      ])
      expect(hooked.requests.map((request) => request.status)).toEqual([503, 404])
    } finally {
      await hooked.close()
    }
  })

  it('trickle sends the whole answer slowly', async () => {
    server.fault('echo', { trickle: { chunkBytes: 20, intervalMs: 30 } })
    const started = Date.now()
    const reply = await post()
    expect(JSON.parse(reply.body)).toMatchObject({ ok: true })
    expect(Date.now() - started).toBeGreaterThanOrEqual(30 * Math.floor(reply.body.length / 20) - 5)
  })

  it('html, echo, patch, omit and replaceBody', async () => {
    server.fault('echo', { html: true, status: 503 })
    const html = await post()
    expect(html.status).toBe(503)
    expect(html.headers['content-type']).toBe('text/html')
    expect(html.body).toMatch(/<title>503 Service Unavailable<\/title>/)

    server.fault('echo', { echo: 'token' })
    expect((await post()).body).toContain('abcdefghijkl0123')
    server.fault('echo', { echo: 'tail', echoTail: 6 })
    const tail = await post()
    expect(tail.status).toBe(400)
    expect(tail.body).toContain('...ijkl0123'.slice(-6))
    expect(tail.body).not.toContain('abcdefghijkl0123')
    server.fault('echo', { echo: 'request-body' })
    expect((await post('secret=abcdefghijkl0123&other=1')).body).toContain('secret=abcdefghijkl0123&other=1')

    const callsBefore = calls
    server.fault('echo', { patch: { calls: 'many' }, omit: ['ok'] })
    expect(JSON.parse((await post()).body)).toEqual({ calls: 'many', form: { secret: 'abcdefghijkl0123' } })
    server.fault('echo', { replaceBody: '' })
    const empty = await post()
    expect([empty.status, empty.body]).toEqual([200, ''])
    // The route ran for both: its side effects happen.
    expect(calls).toBe(callsBefore + 2)
  })
})

describe('connect proxy', () => {
  it('tunnels to the names it knows, refuses the rest, records both', async () => {
    const server = await new EmulatorServer({ routes: [], names: ['known.example.test'] }).start()
    const proxy = await new ConnectProxy({ hosts: { 'known.example.test': '127.0.0.1' } }).start()
    const connect = (target: string): Promise<string> =>
      new Promise((resolve, reject) => {
        const socket = net.connect(proxy.port, '127.0.0.1', () => socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`))
        socket.once('data', (data) => {
          resolve(data.toString().split('\r\n')[0])
          socket.destroy()
        })
        socket.on('error', reject)
      })
    try {
      expect(await connect(`known.example.test:${server.port}`)).toBe('HTTP/1.1 200 Connection Established')
      expect(await connect('elsewhere.example.test:443')).toMatch(/^HTTP\/1.1 502/)
      proxy.refuseWith = 407
      expect(await connect(`known.example.test:${server.port}`)).toMatch(/^HTTP\/1.1 407/)
      expect(proxy.tunnels.map((tunnel) => [tunnel.host, tunnel.status])).toEqual([
        ['known.example.test', 200],
        ['elsewhere.example.test', 502],
        ['known.example.test', 407],
      ])
    } finally {
      await proxy.close()
      await server.close()
    }
  })
})

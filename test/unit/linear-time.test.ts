/**
 * Every pattern the action runs over a provider's answer takes time linear in the answer's size
 * (issue 19, item 2): the token matcher and each body reader fed pathological answers up to the
 * 1 MiB cap, timed against a plain answer of the same size read by the same function in the same
 * run. The readers that replaced backtracking regexes give the same answers as those regexes, on
 * real-looking bodies and on seeded random ones.
 */
import { describe, expect, it } from 'vitest'
import {
  decodeXml,
  htmlTitle,
  jsonObject,
  looksLikeHtml,
  MAX_BODY_BYTES,
  responseReason,
  type HttpResponse,
} from '../../src/http/response.ts'
import { compareVersions, highestVersion, readCloudDirectorError } from '../../src/providers/cloud-director-api.ts'
import { readTokenAnswer } from '../../src/providers/token-answer.ts'
import { hideEchoedTokenTails, jwtSpans, Secrets } from '../../src/secrets.ts'
import { excerpt, logLine } from '../../src/text.ts'

/** The regexes the one-pass readers replaced: each is quadratic on the input its reader is timed with below. */
const OLD = {
  jwt: /eyJ[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_-]*)?/g,
  title: /<title[^>]*>([^<]*)<\/title>/i,
  xmlError: /<(?:\w+:)?Error\b[^>]*\bmessage="([^"]*)"/i,
  versionInfo: /<(?:\w+:)?VersionInfo\b([^>]*)>([\s\S]*?)<\/(?:\w+:)?VersionInfo>/g,
  echoedTail: /(x{3,}\.{2,})[A-Za-z0-9_~-]+/g,
}

function oldHighestVersion(xml: string): string | undefined {
  const found: { version: string; deprecated: boolean }[] = []
  for (const match of xml.matchAll(OLD.versionInfo)) {
    const version = /<(?:\w+:)?Version>\s*([^<\s]+)\s*</.exec(match[2])?.[1]
    if (version && /^\d{1,3}(\.\d{1,3}){1,3}$/.test(version))
      found.push({ version, deprecated: /\bdeprecated\s*=\s*"true"/i.test(match[1]) })
  }
  const current = found.filter((entry) => !entry.deprecated)
  return (current.length ? current : found)
    .map((entry) => entry.version)
    .sort(compareVersions)
    .at(-1)
}

/** Its XML part: bodies that are JSON objects are read as before. */
function oldCloudDirectorError(body: string): string | undefined {
  const message = OLD.xmlError.exec(body)?.[1]
  return message ? decodeXml(message) : undefined
}

/** Strings of `parts` joined at random, the same on every run. */
function* randomTexts(parts: string[], rounds = 3000): Generator<string> {
  let seed = 2026
  const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31)
  for (let round = 0; round < rounds; round++) yield Array.from({ length: 1 + (next() % 16) }, () => parts[next() % parts.length]).join('')
}

const VERSIONS_XML = `<?xml version="1.0" encoding="UTF-8"?>
<SupportedVersions xmlns="http://www.vmware.com/vcloud/versions">
  <VersionInfo deprecated="true"><Version>33.0</Version><LoginUrl>https://vcd.example.com/api/sessions</LoginUrl></VersionInfo>
  <VersionInfo deprecated="false"><Version>38.1</Version><LoginUrl>https://vcd.example.com/api/sessions</LoginUrl></VersionInfo>
  <vv:VersionInfo deprecated="false"><vv:Version> 37.0.0-alpha </vv:Version></vv:VersionInfo>
  <VersionInfo><Version>37.2</Version></VersionInfo>
</SupportedVersions>`

describe('the one-pass readers give the answers of the regexes they replace', () => {
  const jwt = `eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJl-_x`
  const cases = {
    'JWT spans': {
      normal: [
        `Bearer ${jwt}`,
        `a.${jwt}.b ${jwt.slice(0, 30)}`,
        `{"token":"x${jwt}"}`,
        'eyJ is no token.',
        `eyJabcdef.abc eyJabcdefgh.abcd.`,
      ],
      parts: ['eyJ', 'a', 'B9', '-', '_', '.', ' ', 'eyJabc', '..', 'x', 'eyJhbGci'],
      now: (text: string) => [...jwtSpans(text)],
      before: (text: string) => [...text.matchAll(OLD.jwt)].map((match) => [match.index, match.index + match[0].length]),
    },
    'HTML title': {
      normal: ['<html><head><TITLE lang="en">502 Bad Gateway</TITLE></head>', '<title>a</title><title>b</title>', '<title x>y</b></title>'],
      parts: ['<title', '<TITLE', '>', '<', '</title>', '</TiTlE>', 'a', ' ', '<title>x', '</title', '<titles'],
      now: htmlTitle,
      before: (text: string) => OLD.title.exec(text)?.[1],
    },
    'Cloud Director XML error': {
      normal: [
        '<?xml version="1.0"?><Error xmlns="http://www.vmware.com/vcloud/v1.5" minorErrorCode="ACCESS_TO_RESOURCE_IS_FORBIDDEN" message="Either you need some or all of the following rights [&quot;Org.View&quot;]" majorErrorCode="403"/>',
        '<vcloud:Error majorErrorCode="400" message="a &amp; b" stackTrace="x"></vcloud:Error>',
      ],
      parts: [
        '<Error',
        '<vcloud:Error',
        '<Errors',
        ' message="',
        'message="',
        'xmessage="',
        '"',
        '>',
        'a',
        ' ',
        'MESSAGE="',
        '<',
        ':',
        '&amp;',
      ],
      now: readCloudDirectorError,
      before: oldCloudDirectorError,
    },
    'highest API version': {
      normal: [VERSIONS_XML, '<SupportedVersions/>', VERSIONS_XML.replaceAll('deprecated="false"', 'deprecated="true"')],
      parts: [
        '<VersionInfo',
        '<ns:VersionInfo',
        ' deprecated="true"',
        '>',
        '</VersionInfo>',
        '</ns:VersionInfo>',
        '<Version>',
        '38.1',
        '37.0.0-alpha',
        '40.0',
        ' ',
        '<',
        'x',
      ],
      now: highestVersion,
      before: oldHighestVersion,
    },
    'echoed token tails': {
      normal: ['invalid_grant: Invalid refresh token: xxxxx...tN3NK', 'Token xxxx..AB-_~9 and xx..no and xxx.x', 'nothing here'],
      parts: ['x', 'xxx', '.', '..', 'a', 'X', '~', ' ', 'xx.'],
      now: hideEchoedTokenTails,
      before: (text: string) => text.replace(OLD.echoedTail, '$1***'),
    },
  }

  for (const [name, { normal, parts, now, before }] of Object.entries(cases)) {
    it(`${name}: on real-looking bodies and on 3000 random ones`, () => {
      for (const text of normal) expect(now(text), text).toEqual(before(text))
      for (const text of randomTexts(parts)) expect(now(text), JSON.stringify(text)).toEqual(before(text))
    })
  }

  it('real-looking bodies give what the action has always read from them', () => {
    expect(highestVersion(VERSIONS_XML)).toBe('38.1')
    expect(htmlTitle('<html><head><TITLE lang="en">502 Bad Gateway</TITLE></head>')).toBe('502 Bad Gateway')
    expect(readCloudDirectorError('<vcloud:Error majorErrorCode="400" message="a &amp; b"/>')).toBe('a & b')
  })
})

/** Sizes up to the answer cap: a quadratic reader blows the bound at one of the smaller ones, in seconds, not at 1 MiB in minutes. */
const SIZES = [16 * 1024, 64 * 1024, 256 * 1024, MAX_BODY_BYTES]
/** Linear readers take a few ms per MiB here; the bound only tells bounded from quadratic. */
const FLOOR_MS = 2000
const FACTOR = 50

function millisecondsOf(run: () => unknown): number {
  const start = performance.now()
  run()
  return performance.now() - start
}

/** `unit` repeated to exactly `size` characters. */
function repeated(unit: string, size: number): string {
  return unit.repeat(Math.ceil(size / unit.length)).slice(0, size)
}

type Body = (size: number) => string

/**
 * Reads each pathological body at every size within FACTOR times the time of a plain body of the
 * same size, or FLOOR_MS. A time near the bound is measured twice more (the least counts): a
 * busy machine may stall one run, never three in a row for seconds.
 */
function expectLinear(read: (body: string) => unknown, pathological: Body[], plain: Body = (size) => repeated('a b ', size)): void {
  for (const size of SIZES) {
    const baseline = Math.min(
      millisecondsOf(() => read(plain(size))),
      millisecondsOf(() => read(plain(size))),
    )
    const bound = Math.max(FLOOR_MS, FACTOR * baseline)
    for (const body of pathological) {
      const text = body(size)
      expect(text.length).toBe(size)
      let took = millisecondsOf(() => read(text))
      for (let again = 0; again < 2 && took > bound && took < 5 * bound; again++)
        took = Math.min(
          took,
          millisecondsOf(() => read(text)),
        )
      expect(
        took,
        `${JSON.stringify(text.slice(0, 24))}... of ${size} characters took ${Math.round(took)} ms; the bound is ${Math.round(bound)} ms`,
      ).toBeLessThanOrEqual(bound)
    }
  }
}

const failed = (body: string): Pick<HttpResponse, 'status' | 'statusText' | 'body'> => ({ status: 400, statusText: 'Bad Request', body })

describe('time linear in the body, up to the 1 MiB cap', () => {
  it('the token matcher (maskTokensIn and redact): JWT-shaped runs, token fields and parameters', () => {
    const bodies: Body[] = [
      (size) => repeated('eyJ', size),
      (size) => repeated('eyJaaaaaa.', size),
      (size) => `${repeated('eyJ', size - 2)}.x`,
      (size) => repeated('"token":"', size),
      (size) => `"token"${repeated(' ', size - 7)}`,
      (size) => `"access_token" : ${repeated(' ', size - 17)}`,
      (size) => repeated('&access_token=', size),
      (size) => repeated('x access_token=a', size),
    ]
    expectLinear((body) => new Secrets(() => {}).maskTokensIn(body), bodies)
    expectLinear((body) => new Secrets(() => {}).redact(body), bodies)
  })

  it('the Cloud Director error reader: <Error tags without an end, or with many messages', () => {
    expectLinear(readCloudDirectorError, [
      (size) => repeated('<Error ', size),
      (size) => repeated('<Error message="', size),
      (size) => `<Error ${repeated('message="x" ', size - 7)}`,
      (size) => `<Error${repeated(' message="', size - 6)}`,
      (size) => `<${repeated('a', size - 1)}`,
      (size) => repeated('<a:Error>', size),
    ])
  })

  it('the version list reader: <VersionInfo> without an end, without a >, or full of <Version>', () => {
    expectLinear(highestVersion, [
      (size) => repeated('<VersionInfo>', size),
      (size) => repeated('<VersionInfo ', size),
      (size) => repeated('<VersionInfo><Version>', size),
      (size) => `<VersionInfo>${repeated('<Version> 1', size - 27)}</VersionInfo>`,
      (size) => `<VersionInfo><Version>${repeated(' ', size - 37)}1</VersionInfo>`,
      (size) => repeated('</ns:VersionInfo', size),
    ])
  })

  it("a failed answer's reason: HTML titles, JSON that does not parse, white space", () => {
    const reason = (body: string): string => responseReason(failed(body), readCloudDirectorError)
    expectLinear(reason, [
      (size) => `<html>${repeated('<title', size - 6)}`,
      (size) => `<html><title>${repeated('a', size - 13)}`,
      (size) => `<html>${repeated('<title><', size - 6)}`,
      (size) => `${repeated(' ', size - 6)}<html>`,
      (size) => repeated('<body', size),
      (size) => repeated('[', size),
      (size) => `)]}'${repeated(' ', size - 4)}`,
      (size) => `{"message":"${repeated('\\u0000 ', size - 12)}`,
    ])
    expectLinear(looksLikeHtml, [(size) => repeated(' ', size), (size) => repeated('<!doctype', size), (size) => repeated('<htm', size)])
    expectLinear(jsonObject, [(size) => `\uFEFF)]}'${repeated(' ', size - 5)}`, (size) => repeated('{"a":', size)])
  })

  it('echoed token tails, entities, excerpts and log lines', () => {
    expectLinear(hideEchoedTokenTails, [
      (size) => repeated('x', size),
      (size) => repeated('xxx.', size),
      (size) => `xxx${repeated('.', size - 3)}`,
    ])
    expectLinear(decodeXml, [(size) => repeated('&amp;', size), (size) => repeated('&lt', size)])
    expectLinear(excerpt, [(size) => repeated(' \t', size), (size) => repeated('a\u0000', size)])
    expectLinear(logLine, [
      (size) => `#${repeated('\u00e9', size - 1)}`,
      (size) => repeated('#\u00e9', size),
      (size) => repeated('#', size),
      (size) => `${repeated('\u00a0', size - 1)}:`,
      (size) => `:${repeated('\u00e9', size - 1)}`,
    ])
  })

  it('a 200 answer that does not parse, searched for a rotated refresh token', () => {
    const secrets = new Secrets(() => {})
    const read = (body: string): void => {
      expect(() => readTokenAnswer({ status: 200, statusText: 'OK', headers: {}, body, attempts: 1 }, secrets, 'X', () => {})).toThrow()
    }
    expectLinear(read, [(size) => repeated('"refresh_token":"', size), (size) => `"refresh_token"${repeated(' ', size - 15)}`])
  })
})

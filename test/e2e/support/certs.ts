/**
 * Test certificates, made at run time with the openssl CLI (a few ms, EC P-256), never committed.
 *
 *   const pki = makeCerts()                        // CA + server certificate for localhost, 127.0.0.1, ::1
 *   const pki = makeCerts(['vcd.example.test'])    // ... plus more DNS names (proxy tests)
 *   pki.caCert / pki.cert / pki.key               // PEM strings: the private CA, the server's chain leaf and key
 *   pki.selfSigned.cert / pki.selfSigned.key      // a self-signed server certificate for the same names
 *
 * Results are cached in memory per process and per set of names; the openssl files live in a temp
 * dir only while they are made. Only erasable TypeScript here: scripts run this file directly.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isIP } from 'node:net'

export interface CertPair {
  /** PEM certificate. */
  cert: string
  /** PEM private key (unencrypted). */
  key: string
}

export interface TestPki extends CertPair {
  /** PEM of the private CA that signed `cert`. */
  caCert: string
  caKey: string
  /** Names the server certificates are valid for (DNS names and IP addresses). */
  names: string[]
  /** Self-signed certificate for the same names (no CA trusts it). */
  selfSigned: CertPair
}

const DEFAULT_NAMES = ['localhost', '127.0.0.1', '::1']
const cache = new Map<string, TestPki>()

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] })
}

/** A private CA, a server certificate it signed and a self-signed one, for localhost and `extraNames`. */
export function makeCerts(extraNames: string[] = []): TestPki {
  const names = [...new Set([...DEFAULT_NAMES, ...extraNames])]
  const cacheKey = [...names].sort().join(',')
  const cached = cache.get(cacheKey)
  if (cached) return cached

  const dir = mkdtempSync(join(tmpdir(), 'vmw-e2e-certs-'))
  try {
    const pki = generate(dir, names)
    cache.set(cacheKey, pki)
    return pki
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

function generate(dir: string, names: string[]): TestPki {
  const base = join(dir, 'pki')
  const san = names.map((name) => (isIP(name) ? `IP:${name}` : `DNS:${name}`)).join(',')
  const config = `${base}.cnf`
  writeFileSync(
    config,
    [
      '[req]',
      'distinguished_name = dn',
      'prompt = no',
      '[dn]',
      'CN = placeholder',
      '[ca_ext]',
      'basicConstraints = critical,CA:TRUE',
      'keyUsage = critical,keyCertSign,cRLSign',
      'subjectKeyIdentifier = hash',
      '[leaf_ext]',
      'basicConstraints = critical,CA:FALSE',
      'keyUsage = critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage = serverAuth',
      'subjectKeyIdentifier = hash',
      'authorityKeyIdentifier = keyid',
      `subjectAltName = ${san}`,
      '[self_ext]',
      'basicConstraints = critical,CA:FALSE',
      'keyUsage = critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage = serverAuth',
      `subjectAltName = ${san}`,
      '',
    ].join('\n'),
  )
  const file = (name: string): string => `${base}-${name}`
  /** A new EC key (`name`.key) and its certificate (`name`.pem, the config's `extensions`, `subject`), self-signed unless `signer` gives -CA and -CAkey. */
  const certify = (name: string, extensions: string, subject: string, signer: string[] = []): void =>
    openssl([
      'req',
      '-x509',
      '-config',
      config,
      '-extensions',
      extensions,
      ...signer,
      ...['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '3'],
      ...['-keyout', file(`${name}.key`), '-out', file(`${name}.pem`), '-subj', subject],
    ])
  certify('ca', 'ca_ext', '/O=vmw-token-action tests/CN=Test Private CA')
  certify('leaf', 'leaf_ext', `/CN=${names[0]}`, ['-CA', file('ca.pem'), '-CAkey', file('ca.key')])
  certify('self', 'self_ext', `/CN=${names[0]}`)

  const read = (name: string): string => readFileSync(file(name), 'utf8')
  return {
    caCert: read('ca.pem'),
    caKey: read('ca.key'),
    cert: read('leaf.pem'),
    key: read('leaf.key'),
    names,
    selfSigned: { cert: read('self.pem'), key: read('self.key') },
  }
}

/** TLS trust: the CAs the step's connections accept. Nothing process-wide is changed. */
import tls from 'node:tls'

/**
 * The default CAs (node's bundle, NODE_EXTRA_CA_CERTS, and the system store where node is told to
 * use it) plus the extra ones; undefined when there are none, so node keeps its own default.
 */
export function trustedCas(extra: readonly string[]): string[] | undefined {
  return extra.length ? [...tls.getCACertificates('default'), ...extra] : undefined
}

/** Certificate problems: retrying cannot help, a CA can. */
export const UNTRUSTED_CERTIFICATE_CODES: ReadonlySet<string> = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
])

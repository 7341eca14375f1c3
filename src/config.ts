/**
 * The typed configuration every input is parsed into. It sits below the providers and the input
 * parser, so that both can use it without importing each other.
 */

/** The kinds of credential an action run can carry; each provider lists those it accepts. */
export type Credential =
  | { kind: 'api-token'; token: string }
  | { kind: 'oauth-app'; clientId: string; clientSecret: string }
  | { kind: 'password'; username: string; password: string }

export type CredentialKind = Credential['kind']

/** The credential of one kind: what a provider that takes only these kinds is handed. */
export type CredentialOf<K extends CredentialKind> = Extract<Credential, { kind: K }>

/** The inputs that make up each kind of credential, in the order messages name them. */
export const CREDENTIAL_INPUTS: Record<CredentialKind, readonly [string, ...string[]]> = {
  'api-token': ['api-token'],
  'oauth-app': ['client-id', 'client-secret'],
  password: ['username', 'password'],
}

export interface Config<C extends Credential = Credential> {
  /** The registry name of the provider (the provider input). */
  provider: string
  credential: C
  /** The identity source the user belongs to, where the provider takes one; '' for its default. */
  authSource: string
  /** Root the provider's paths hang off: scheme, host, port and any real path prefix; no trailing slash. */
  baseUrl: string
  /** The org as the provider normalised it; '' for none (the provider's default). */
  org: string
  envName: string
  exportEnv: boolean
  revoke: boolean
  /** PEM blocks to trust besides the default CAs. */
  caCertificates: string[]
  timeoutMs: number
  maxAttempts: number
  /** Warn when the long-lived credential itself expires within this many days (0: do not look). */
  expiryWarningDays: number
  /** Write a kubeconfig for the token (only providers with Kubernetes support). */
  kubeconfig: boolean
  /** The namespace its context points at, as the provider checked it; '' for none. */
  kubeNamespace: string
}

/** Bounds shared by the inputs and the post step's check of its saved state. */
export const LIMITS = {
  timeoutSeconds: { min: 1, max: 600, fallback: 30 },
  maxAttempts: { min: 1, max: 10, fallback: 4 },
  expiryWarningDays: { min: 0, max: 3650, fallback: 30 },
} as const

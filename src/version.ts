import pkg from '../package.json' with { type: 'json' }

export const USER_AGENT = `vmw-token-action/${pkg.version}`

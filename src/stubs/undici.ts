/**
 * Bundled in place of undici (tsconfig "paths"). @actions/http-client imports undici's ProxyAgent
 * only for getAgentDispatcher(), which this action never calls: its requests, proxied or not, go
 * through node's http/https agents (node's own proxy support). Leaving undici out shrinks the bundle
 * from about 510 KB to about 80 KB and cuts its start-up time by a third. Should http-client ever
 * need undici on the request path, this throws and every end-to-end test fails.
 */
export class ProxyAgent {
  constructor() {
    throw new Error('undici is not bundled with vmw-token-action; ProxyAgent is unavailable')
  }
}

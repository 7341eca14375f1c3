/**
 * What scripts/emulator.ts and scripts/demo.ts know of each provider's emulator, as one table
 * (EMULATOR_SCRIPTS): how a script starts it, the key=value lines `node scripts/emulator.ts <provider>`
 * prints for a workflow (.github/workflows/e2e.yml reads them as the step's outputs), and the demos
 * `npm run demo -- <name>` runs against it. A new provider's emulator adds its entry here: the scripts
 * need no change. Only erasable TypeScript: the scripts run this file directly.
 */
import { AriaEmulator } from './aria-emulator.ts'
import { AriaOperationsEmulator } from './aria-operations-emulator.ts'
import { CspEmulator } from './csp-emulator.ts'
import type { EmulatorServer, RecordedRequest } from './emulator.ts'
import { SddcManagerEmulator } from './sddc-manager-emulator.ts'
import { SupervisorEmulator } from './supervisor-emulator.ts'
import { VcdEmulator } from './vcd-emulator.ts'
import { VcenterEmulator } from './vcenter-emulator.ts'
import { VcfaEmulator } from './vcfa-emulator.ts'

/** How a script starts an emulator: its port (0: any free one), a hook for each answer, and the options of its command line. */
export interface ScriptOptions {
  port: number
  onReply?: (request: RecordedRequest) => void
  /** --max-version: the highest API version it announces (the Cloud Director APIs). */
  maxVersion?: string
  /** --api-token-days: days until the API token expires (CSP). */
  apiTokenDays?: number
}

/** A demo (`npm run demo -- <name>`): what it says of the emulator, and the action's inputs (url and ca-certificate are added). */
export interface DemoScript<S extends EmulatorServer> {
  name: string
  about(server: S): string
  inputs(server: S): Record<string, string>
}

export interface EmulatorScript<S extends EmulatorServer = EmulatorServer> {
  /** The provider input's value, and scripts/emulator.ts's argument. */
  provider: string
  start(options: ScriptOptions): Promise<S>
  /** The key=value lines scripts/emulator.ts prints after url and ca-file: made-up credentials and what later steps need. */
  lines(server: S): [key: string, value: string][]
  demos: DemoScript<S>[]
}

/** An entry of the table, checked against its emulator's own type. */
function script<S extends EmulatorServer>(descriptor: EmulatorScript<S>): EmulatorScript {
  return descriptor
}

/** Every provider's emulator, in the order action.yml names the providers. */
export const EMULATOR_SCRIPTS: EmulatorScript[] = [
  // An API token and an OAuth app of the org.
  script<CspEmulator>({
    provider: 'csp',
    start: ({ port, onReply, apiTokenDays }) => new CspEmulator({ port, onReply, apiTokenExpiresInDays: apiTokenDays }).start(),
    lines: (csp) => [
      ['api-token', csp.apiToken],
      ['client-id', csp.clientId],
      ['client-secret', csp.clientSecret],
      ['org', csp.org],
    ],
    demos: [
      {
        name: 'csp',
        about: (csp) => `CSP emulator at ${csp.url} (private CA), made-up API token of org ${csp.org}`,
        inputs: (csp) => ({ 'api-token': csp.apiToken }),
      },
    ],
  }),
  // The provider org's API token, a tenant's, a service account's.
  script<VcdEmulator>({
    provider: 'vcd',
    start: ({ port, onReply, maxVersion }) => new VcdEmulator({ port, onReply, maxVersion }).start(),
    lines: (vcd) => [
      ['api-token', vcd.providerToken],
      ['tenant-org', vcd.tenantOrg],
      ['tenant-api-token', vcd.tenantToken],
      ['service-account-token', vcd.serviceAccountToken],
      ['api-version', vcd.maxVersion],
    ],
    demos: [
      {
        name: 'vcd',
        about: (vcd) => `Cloud Director emulator at ${vcd.url} (private CA), made-up API token of the provider org`,
        inputs: (vcd) => ({ provider: 'vcd', 'api-token': vcd.providerToken }),
      },
    ],
  }),
  // api-token and org are an All Apps org's; provider-api-token, vm-apps-org, vm-apps-api-token and
  // service-account-token are for the other kinds, kube-namespace a ready supervisor namespace.
  script<VcfaEmulator>({
    provider: 'vcfa',
    start: ({ port, onReply, maxVersion }) => new VcfaEmulator({ port, onReply, maxVersion }).start(),
    lines: (vcfa) => [
      ['api-token', vcfa.tenantToken],
      ['org', vcfa.tenantOrg],
      ['provider-api-token', vcfa.providerToken],
      ['vm-apps-org', vcfa.vmAppsOrg],
      ['vm-apps-api-token', vcfa.vmAppsToken],
      ['service-account-token', vcfa.serviceAccountToken],
      ['api-version', vcfa.maxVersion],
      ['kube-namespace', `${vcfa.project}/${vcfa.readyNamespace}`],
    ],
    demos: [
      {
        name: 'vcfa',
        about: (vcfa) => `VCF Automation emulator at ${vcfa.url} (private CA), made-up API token of All Apps org ${vcfa.tenantOrg}`,
        inputs: (vcfa) => ({ provider: 'vcfa', 'api-token': vcfa.tenantToken, org: vcfa.tenantOrg }),
      },
    ],
  }),
  // No org line: the action refuses org for this provider. token-org and subject are what the org and
  // subject outputs should say; catalog-item-id and project-id are for a catalog request. The password
  // login's names are not username and password: the action would refuse them beside api-token.
  script<AriaEmulator>({
    provider: 'aria-automation',
    start: ({ port, onReply }) => new AriaEmulator({ port, onReply }).start(),
    lines: (aria) => [
      ['api-token', aria.refreshToken],
      ['token-org', aria.org],
      ['subject', aria.username],
      ['login-username', aria.username],
      ['login-password', aria.password],
      ['catalog-item-id', aria.catalogItems[0].id],
      ['project-id', aria.projectId],
    ],
    demos: [
      {
        name: 'aria-automation',
        about: (aria) => `Aria Automation emulator at ${aria.url} (private CA), made-up API token of ${aria.username}`,
        inputs: (aria) => ({ provider: 'aria-automation', 'api-token': aria.refreshToken }),
      },
      {
        name: 'aria-automation-password',
        about: (aria) => `Aria Automation emulator at ${aria.url} (private CA), made-up user ${aria.username} and password`,
        inputs: (aria) => ({ provider: 'aria-automation', username: aria.username, password: aria.password }),
      },
    ],
  }),
  // username and password for the action (no api-token, no org); subject and token-type are what its
  // outputs should say; a VM's name, a tag's ID and a content library's ID for the README's calls.
  script<VcenterEmulator>({
    provider: 'vcenter',
    start: ({ port, onReply }) => new VcenterEmulator({ port, onReply }).start(),
    lines: (vc) => [
      ['username', vc.username],
      ['password', vc.password],
      ['subject', vc.username],
      ['token-type', 'Session'],
      ['vm-name', vc.vms[1].name],
      ['tag-id', vc.tags[0].id],
      ['library-id', vc.libraries[0]],
    ],
    demos: [
      {
        name: 'vcenter',
        about: (vc) => `vCenter emulator at ${vc.url} (private CA), made-up password of ${vc.username}`,
        inputs: (vc) => ({ provider: 'vcenter', username: vc.username, password: vc.password }),
      },
    ],
  }),
  // A local user; token-type and subject are what those outputs should say; resource is one of its VMs.
  script<AriaOperationsEmulator>({
    provider: 'aria-operations',
    start: ({ port, onReply }) => new AriaOperationsEmulator({ port, onReply }).start(),
    lines: (ops) => [
      ['username', ops.username],
      ['password', ops.password],
      ['token-type', 'OpsToken'],
      ['subject', ops.username],
      ['resource', ops.resources[0].name],
    ],
    demos: [
      {
        name: 'aria-operations',
        about: (ops) => `Aria Operations emulator at ${ops.url} (private CA), made-up local user ${ops.username} and password`,
        inputs: (ops) => ({ provider: 'aria-operations', username: ops.username, password: ops.password }),
      },
    ],
  }),
  // username and password for the action; api-key (for api-token instead) is an automation account's,
  // whose tokens name api-key-subject. A workload domain's name and an ESXi host to rotate, for later steps.
  script<SddcManagerEmulator>({
    provider: 'sddc-manager',
    start: ({ port, onReply }) => new SddcManagerEmulator({ port, onReply }).start(),
    lines: (sddc) => [
      ['username', sddc.username],
      ['password', sddc.password],
      ['subject', sddc.username],
      ['api-key', sddc.apiKey],
      ['api-key-subject', sddc.serviceUser],
      ['domain', String(sddc.domains[0].name)],
      ['esxi-host', 'sfo01-m01-esx01.sfo.example.test'],
    ],
    demos: [
      {
        name: 'sddc-manager',
        about: (sddc) => `SDDC Manager emulator at ${sddc.url} (private CA), made-up password of ${sddc.username}`,
        inputs: (sddc) => ({ provider: 'sddc-manager', username: sddc.username, password: sddc.password }),
      },
    ],
  }),
  // A user, and the vSphere namespace it may use.
  script<SupervisorEmulator>({
    provider: 'supervisor',
    start: ({ port, onReply }) => new SupervisorEmulator({ port, onReply }).start(),
    lines: (supervisor) => [
      ['username', supervisor.username],
      ['password', supervisor.password],
      ['subject', supervisor.username],
      ['namespace', supervisor.namespace],
    ],
    demos: [
      {
        name: 'supervisor',
        about: (supervisor) =>
          `vSphere Supervisor emulator at ${supervisor.url} (private CA), made-up user ${supervisor.username}, a kubeconfig for vSphere namespace ${supervisor.namespace}`,
        inputs: (supervisor) => ({
          provider: 'supervisor',
          username: supervisor.username,
          password: supervisor.password,
          kubeconfig: 'true',
          'kube-namespace': supervisor.namespace,
        }),
      },
    ],
  }),
]

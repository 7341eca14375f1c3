import type * as actionsCore from '@actions/core'

/** The part of `@actions/core` the action uses; tests pass a recording fake. */
export type ActionCore = Pick<
  typeof actionsCore,
  | 'getInput'
  | 'getState'
  | 'saveState'
  | 'setSecret'
  | 'setOutput'
  | 'exportVariable'
  | 'setFailed'
  | 'info'
  | 'warning'
  | 'debug'
  | 'summary'
>

/** Log lines a provider may print; everything goes through redaction first. */
export interface Log {
  info(message: string): void
  warning(message: string): void
  debug(message: string): void
}

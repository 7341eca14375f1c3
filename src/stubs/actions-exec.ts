/**
 * Bundled in place of @actions/exec (tsconfig "paths"). @actions/core imports it only for
 * platform.getDetails(), which this action never calls; the real module loads child_process and
 * dgram at start-up, about 2-3 ms of every run (bench/RESULTS.md). Should core ever need it on a
 * path the action uses, this throws and the tests fail.
 */
export function getExecOutput(): never {
  throw new Error('@actions/exec is not bundled with vmw-token-action')
}

// Runs after the action's post step: checks what that post step sent to the emulator, and that it
// left no kubeconfig of the action in RUNNER_TEMP.
import { readdirSync, readFileSync } from 'node:fs'

const log = process.env['INPUT_LOG-FILE']
const expect = process.env.INPUT_EXPECT
const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean)
// The requests of the main steps after this action's own main step, and of the post steps.
const since = Number(process.env.STATE_lines ?? 0)
const later = lines.slice(since)
console.log(`Requests since this action's main step:\n${later.join('\n') || '(none)'}`)

const logouts = later.filter((line) => / DELETE \S+ -> 204$/.test(line))
// Aria Operations: POST .../auth/token/release, 200 (a build that predates OpsToken answers 401 first).
const releases = later.filter((line) => / POST \S+\/auth\/token\/release -> 2\d\d$/.test(line))
const fail = (message) => {
  console.log(`::error::${message}`)
  process.exitCode = 1
}
if (expect === 'logout' && logouts.length !== 1)
  fail(`expected one logout answered 204 from the action's post step, found ${logouts.length}`)
if (expect === 'release' && releases.length !== 1)
  fail(`expected one token release answered 2xx from the action's post step, found ${releases.length}`)
if (expect === 'nothing' && later.some((line) => / DELETE |\/auth\/token\/release /.test(line)))
  fail('expected no logout: this provider cannot revoke')
if (!['logout', 'release', 'nothing'].includes(expect)) fail(`expect must be logout, release or nothing, not '${expect}'`)

const left = readdirSync(process.env.RUNNER_TEMP).filter((name) => /^vmw-kubeconfig-.*\.yaml$/.test(name))
if (left.length) fail(`the action's post step left its kubeconfig in RUNNER_TEMP: ${left.join(', ')}`)

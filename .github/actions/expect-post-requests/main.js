// Remembers how long the request log is now: the post step looks only at what comes after.
import { appendFileSync, readFileSync } from 'node:fs'

const log = process.env['INPUT_LOG-FILE']
const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean).length
appendFileSync(process.env.GITHUB_STATE, `lines=${lines}\n`)
console.log(`The emulator has logged ${lines} requests so far; the post step checks the ones after the main steps.`)

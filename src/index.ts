/** The bundle's entry, run by the runner for both steps; the post step finds isPost in its state. */
import * as core from '@actions/core'
import { main } from './main.js'
import { post } from './post.js'
import { IS_POST } from './publish.js'

if (core.getState(IS_POST) === 'true') await post(core)
else await main(core)

// The step is done. A socket a hung server or proxy left half-open must not hold the job, so end
// the process once everything written so far has been flushed.
process.stdout.write('', () => process.stderr.write('', () => process.exit()))

/** The bundle's entry, run by the runner for both steps; the post step finds isPost in its state. */
import * as core from '@actions/core'
import { main } from './main.js'
import { post } from './post.js'
import { IS_POST } from './publish.js'

if (core.getState(IS_POST) === 'true') await post(core)
else await main(core)

/** The bundle's entry, run by the runner for both steps; the post step finds isPost in its state. */
import * as core from '@actions/core'
import { main } from './main.js'
import { post } from './post.js'

if (core.getState('isPost') === 'true') {
  await post(core)
} else {
  core.saveState('isPost', 'true')
  await main(core)
}

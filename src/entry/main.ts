/** The main step's bundle (dist/main/index.js): runs the step, then ends the process. */
import { run } from '../main.js'
import { exitWhenFlushed } from './exit.js'

await run()
exitWhenFlushed()

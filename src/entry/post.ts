/** The post step's bundle (dist/post/index.js): runs the step, then ends the process. */
import { run } from '../post.js'
import { exitWhenFlushed } from './exit.js'

await run()
exitWhenFlushed()

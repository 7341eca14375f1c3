// A later step of a job that got a vCenter session from the action: it calls the vSphere Automation
// API with the session ID from VMW_ACCESS_TOKEN in the vmware-api-session-id header, as a workflow
// would. VC_URL, VC_CA (PEM), VC_FORM ('api': vCenter 7.0 U2 and later; 'rest': the older form),
// VC_STEPS (comma-separated, in order) say what it does:
//   tag-vm        find VC_VM_NAME and attach tag VC_TAG_ID to it
//   new-tag       create a tag category and a tag in it (VC_TAG_NAME), attach the tag to VM VC_VM_ID,
//                 and list the tag's objects (/rest only: what govmomi's vcsim serves)
//   libraries     list the content libraries
// Prints one line per step; exits 1 on the first refused call, naming it (never a header).
import https from 'node:https'

const api = process.env.VC_FORM === 'api'
const rest = (path) => `/rest${path}`

function call(method, path, body) {
  return new Promise((resolve, reject) => {
    const headers = { Accept: 'application/json', 'vmware-api-session-id': process.env.VMW_ACCESS_TOKEN }
    if (body !== undefined) headers['Content-Type'] = 'application/json'
    const request = https.request(new URL(path, process.env.VC_URL), { method, ca: process.env.VC_CA, headers }, (response) => {
      let text = ''
      response.setEncoding('utf8')
      response.on('data', (chunk) => (text += chunk))
      response.on('end', () => {
        if (response.statusCode >= 300) return reject(new Error(`${method} ${path.split('?')[0]}: HTTP ${response.statusCode}`))
        // /rest answers wrap the result in {"value": ...}; vcsim sends JSON as text/plain.
        const json = text.trim() ? JSON.parse(text) : undefined
        resolve(api || json === undefined ? json : json.value)
      })
    })
    request.on('error', reject)
    request.end(body === undefined ? undefined : JSON.stringify(body))
  })
}

async function tagVm() {
  const vms = await call('GET', `${api ? '/api/vcenter/vm' : rest('/vcenter/vm')}?names=${encodeURIComponent(process.env.VC_VM_NAME)}`)
  const vm = vms[0].vm
  const tag = process.env.VC_TAG_ID
  const attach = api
    ? `/api/cis/tagging/tag-association/${tag}?action=attach`
    : rest(`/com/vmware/cis/tagging/tag-association/id:${tag}?~action=attach`)
  await call('POST', attach, { object_id: { type: 'VirtualMachine', id: vm } })
  return `tagged ${vm} with ${tag}`
}

async function newTag() {
  const name = process.env.VC_TAG_NAME
  const category = await call('POST', rest('/com/vmware/cis/tagging/category'), {
    create_spec: { name: `${name}-category`, description: 'e2e', cardinality: 'SINGLE', associable_types: ['VirtualMachine'] },
  })
  const tag = await call('POST', rest('/com/vmware/cis/tagging/tag'), { create_spec: { name, description: 'e2e', category_id: category } })
  const object = { type: 'VirtualMachine', id: process.env.VC_VM_ID }
  await call('POST', rest(`/com/vmware/cis/tagging/tag-association/id:${tag}?~action=attach`), { object_id: object })
  const attached = await call('POST', rest(`/com/vmware/cis/tagging/tag-association/id:${tag}?~action=list-attached-objects`), {
    object_id: object,
  })
  return `created tag ${name}, attached to ${attached.map((entry) => entry.id).join(', ')}`
}

async function libraries() {
  const ids = await call('GET', api ? '/api/content/library' : rest('/com/vmware/content/library'))
  return `libraries: ${(ids ?? []).join(', ') || 'none'}`
}

const STEPS = { 'tag-vm': tagVm, 'new-tag': newTag, libraries }
try {
  for (const step of (process.env.VC_STEPS ?? '').split(',').filter(Boolean)) console.log(await STEPS[step]())
} catch (error) {
  console.log(`::error::${error.message}`)
  process.exitCode = 1
}

// A later step of a job that got an Aria Operations token from the action: the README's quick start,
// with `Authorization: OpsToken <token>` from VMW_ACCESS_TOKEN, as a workflow would send it. OPS_URL,
// OPS_CA (PEM), OPS_RESOURCES_PATH (the Suite API's resources) and MODE say what it does: MODE=start
// finds the resource web-01 and starts its maintenance, MODE=end ends it. Prints one line; a refused
// call fails the step, naming it (never a header).
import https from 'node:https'

const { OPS_URL, OPS_CA, OPS_RESOURCES_PATH, VMW_ACCESS_TOKEN, MODE } = process.env
const call = (method, path) =>
  new Promise((resolve, reject) => {
    const headers = { Authorization: `OpsToken ${VMW_ACCESS_TOKEN}`, Accept: 'application/json' }
    https
      .request(OPS_URL + path, { method, ca: OPS_CA, headers }, (response) => {
        let body = ''
        response.on('data', (chunk) => (body += chunk))
        response.on('end', () =>
          response.statusCode === 200 ? resolve(body) : reject(new Error(`${method} ${path}: HTTP ${response.statusCode}`)),
        )
      })
      .on('error', reject)
      .end()
  })
const id = JSON.parse(await call('GET', `${OPS_RESOURCES_PATH}?name=web-01`)).resourceList[0].identifier
await call(MODE === 'start' ? 'PUT' : 'DELETE', `${OPS_RESOURCES_PATH}/${id}/maintained${MODE === 'start' ? '?duration=60' : ''}`)
console.log(`maintenance of web-01: ${MODE}`)

// A later step of a job that got a bearer token from the action: it lists items of an API with the
// token from VMW_ACCESS_TOKEN, as a workflow would. LIST_URL is the list's address, LIST_CA the PEM
// to trust for it, LIST_KEY the field of the answer that holds the items (each with a name). Prints
// `HTTP <status>: <names>` (never a header) and exits 1 unless the status is 200.
import https from 'node:https'

const { LIST_URL, LIST_CA, LIST_KEY, VMW_ACCESS_TOKEN } = process.env
https.get(LIST_URL, { ca: LIST_CA, headers: { Authorization: `Bearer ${VMW_ACCESS_TOKEN}` } }, (response) => {
  let body = ''
  response.on('data', (chunk) => (body += chunk))
  response.on('end', () => {
    const names = response.statusCode === 200 ? JSON.parse(body)[LIST_KEY].map((item) => item.name) : []
    console.log(`HTTP ${response.statusCode}: ${names.join(', ')}`)
    process.exitCode = response.statusCode === 200 ? 0 : 1
  })
})

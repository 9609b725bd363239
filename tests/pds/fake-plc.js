'use strict'
// A minimal in-memory PLC directory stand-in for tests: enough for a PDS to create accounts
// (POST /:did, GET /:did, /:did/data, /:did/log/last) and for probes (/_health, /export).
// Operations are validated with @did-plc/lib, the library the reference PLC server uses.
const crypto = require('node:crypto')
const http = require('node:http')
const plc = require('@did-plc/lib')

// The DID document. @did-plc/lib 0.0.4's formatDidDoc writes the legacy form
// (EcdsaSecp256k1VerificationKey2019, an uncompressed key without a multicodec
// prefix); plc.directory serves Multikey documents today, and some clients
// (jetstream's atmos) read only those. FAKE_PLC_DOC_FORMAT=multikey serves that
// form; the default stays the legacy one.
function didDoc(data) {
  const doc = plc.formatDidDoc(data)
  if (process.env.FAKE_PLC_DOC_FORMAT !== 'multikey') return doc
  doc['@context'] = [
    'https://www.w3.org/ns/did/v1',
    'https://w3id.org/security/multikey/v1',
    'https://w3id.org/security/suites/secp256k1-2019/v1',
  ]
  doc.verificationMethod = Object.entries(data.verificationMethods).map(([id, key]) => ({
    id: `${data.did}#${id}`,
    type: 'Multikey',
    controller: data.did,
    publicKeyMultibase: key.replace(/^did:key:/, ''),
  }))
  return doc
}

function createPlc() {
  const logs = new Map() // did -> [{ did, operation, cid, nullified, createdAt }]
  const all = [] // every accepted entry in order, for /export

  const send = (res, status, body, type = 'application/json') => {
    res.writeHead(status, { 'content-type': type })
    res.end(typeof body === 'string' ? body : JSON.stringify(body))
  }

  const readBody = (req) =>
    new Promise((resolve, reject) => {
      const chunks = []
      req.on('data', (c) => chunks.push(c))
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
      req.on('error', reject)
    })

  const handler = async (req, res) => {
    const url = new URL(req.url, 'http://plc.invalid')
    const parts = url.pathname.split('/').filter(Boolean)
    if (url.pathname === '/_health') return send(res, 200, { version: 'atnix-fake-plc' })
    if (url.pathname === '/export') {
      const count = Math.min(Number(url.searchParams.get('count') || 10), 1000)
      const after = url.searchParams.get('after')
      const rows = all.filter((e) => !after || e.createdAt > after).slice(0, count)
      return send(res, 200, rows.map((r) => JSON.stringify(r)).join('\n'), 'application/jsonlines')
    }
    const did = parts[0] && decodeURIComponent(parts[0])
    if (!did || !did.startsWith('did:plc:')) return send(res, 404, { message: 'not found' })
    if (req.method === 'POST' && parts.length === 1) {
      const op = JSON.parse(await readBody(req))
      const log = logs.get(did) || []
      if (log.length === 0) await plc.assureValidCreationOp(did, op)
      else await plc.assureValidNextOp(did, log, op)
      const entry = {
        did,
        operation: op,
        // Not a real CID: nothing reading this stand-in interprets it.
        cid: 'sha256-' + crypto.createHash('sha256').update(JSON.stringify(op)).digest('hex'),
        nullified: false,
        createdAt: new Date().toISOString(),
      }
      log.push(entry)
      logs.set(did, log)
      all.push(entry)
      return send(res, 200, '')
    }
    const log = logs.get(did)
    if (!log) return send(res, 404, { message: `DID not registered: ${did}` })
    const last = log[log.length - 1]
    const data = plc.opToData(did, last.operation)
    if (parts.length === 1) return send(res, 200, didDoc(data))
    const rest = parts.slice(1).join('/')
    if (rest === 'data') return send(res, 200, data)
    if (rest === 'log') return send(res, 200, log.map((e) => e.operation))
    if (rest === 'log/last') return send(res, 200, last.operation)
    if (rest === 'log/audit') return send(res, 200, log)
    return send(res, 404, { message: 'not found' })
  }

  return http.createServer((req, res) => {
    handler(req, res).catch((err) => send(res, 400, { message: String(err && err.message) }))
  })
}

async function start(port, host = '127.0.0.1') {
  const server = createPlc()
  server.listen(port, host)
  await require('node:events').once(server, 'listening')
  return server
}

module.exports = { createPlc, start }

if (require.main === module) {
  const port = Number(process.env.FAKE_PLC_PORT || 2582)
  start(port).then(() => console.log(`fake-plc listening on 127.0.0.1:${port}`))
}

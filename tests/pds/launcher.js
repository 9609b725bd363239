'use strict'
// Starts @atproto/pds (0.4.x, CommonJS) for tests, bound to loopback only.
//
// PDS.start() calls app.listen(port) without a host, i.e. on every interface, and has no
// bind-address setting; this launcher wraps app.listen so the host PDS_BIND_HOST (default
// 127.0.0.1) is passed along with the port.
//
// Environment: PDS_DATA_DIRECTORY (required, created if missing), PDS_PORT (default 2583),
// FAKE_PLC_PORT (if set, an in-process PLC stand-in on 127.0.0.1:<port> and PDS_DID_PLC_URL
// pointing at it). Secrets not given are generated for this run only.
const fs = require('node:fs')
const path = require('node:path')
const crypto = require('node:crypto')
const pdsPkg = require('@atproto/pds/package.json')
const { PDS, envToCfg, envToSecrets, readEnv } = require('@atproto/pds')
const { Secp256k1Keypair } = require('@atproto/crypto')

async function main() {
  const host = process.env.PDS_BIND_HOST || '127.0.0.1'
  if (!process.env.PDS_DATA_DIRECTORY) throw new Error('set PDS_DATA_DIRECTORY')
  fs.mkdirSync(process.env.PDS_DATA_DIRECTORY, { recursive: true })
  const defaults = {
    PDS_HOSTNAME: 'localhost',
    PDS_PORT: '2583',
    PDS_BLOBSTORE_DISK_LOCATION: path.join(process.env.PDS_DATA_DIRECTORY, 'blocks'),
    PDS_JWT_SECRET: crypto.randomBytes(16).toString('hex'),
    PDS_ADMIN_PASSWORD: crypto.randomBytes(16).toString('hex'),
    PDS_DEV_MODE: 'true',
    PDS_INVITE_REQUIRED: 'false',
    LOG_ENABLED: 'false',
  }
  for (const [k, v] of Object.entries(defaults)) process.env[k] ||= v
  if (!process.env.PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX) {
    const key = await Secp256k1Keypair.create({ exportable: true })
    process.env.PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX = Buffer.from(await key.export()).toString('hex')
  }
  let plcServer
  if (process.env.FAKE_PLC_PORT) {
    plcServer = await require('./fake-plc.js').start(Number(process.env.FAKE_PLC_PORT), host)
    process.env.PDS_DID_PLC_URL = `http://${host}:${process.env.FAKE_PLC_PORT}`
  }

  const env = readEnv()
  env.version ||= pdsPkg.version
  const pds = await PDS.create(envToCfg(env), envToSecrets(env))
  const listen = pds.app.listen.bind(pds.app)
  pds.app.listen = (port, ...rest) => listen(port, host, ...rest)
  await pds.start()
  console.log(`pds ${pdsPkg.version} listening on http://${host}:${process.env.PDS_PORT}`)

  let stopping = false
  const stop = async () => {
    if (stopping) return
    stopping = true
    await pds.destroy()
    plcServer?.close()
    process.exit(0)
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})

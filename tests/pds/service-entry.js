'use strict'
// What nixpkgs' `bluesky-pds` runs (`node --enable-source-maps lib/pds/index.js`, the service
// entry of bluesky-social/pds), reduced to what a smoke test needs: the configuration comes
// from the environment only (readEnv), so the rendered unit's own variables and generated
// secrets are what the PDS sees, and the listen address is whatever the unit arranges.
// No defaults are filled in here, unlike launcher.js.
const { PDS, envToCfg, envToSecrets, readEnv } = require('@atproto/pds')
const pkg = require('@atproto/pds/package.json')

async function main() {
  const env = readEnv()
  env.version ||= pkg.version
  const pds = await PDS.create(envToCfg(env), envToSecrets(env))
  await pds.start()
  console.log(`pds ${pkg.version} started on port ${env.port}`)
  process.on('SIGTERM', async () => {
    await pds.destroy()
    process.exit(0)
  })
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})

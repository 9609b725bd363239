'use strict'
// End-to-end: create an account and a post on the local PDS, then wait for
// the commit on the relay's firehose and as JSON on jetstream, and, with
// SPACEDUST_WS set, the post's link on spacedust's /subscribe (the microcosm
// index reading that jetstream).
// Run with node --experimental-websocket, NODE_PATH at the PDS's node_modules.
const { cborDecodeMulti } = require('@atproto/common')

const PDS = process.env.PDS_URL || 'http://127.0.0.1:2583'
const RELAY = process.env.RELAY_WS || 'ws://127.0.0.1:2470'
const JETSTREAM = process.env.JETSTREAM_WS || 'ws://127.0.0.1:6008'
const SPACEDUST = process.env.SPACEDUST_WS
const log = (...a) => console.log(new Date().toISOString(), ...a)

async function xrpc(method, body, token) {
  const res = await fetch(`${PDS}/xrpc/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  })
  const json = await res.json()
  if (!res.ok) throw new Error(`${method}: ${res.status} ${JSON.stringify(json)}`)
  return json
}

function waitFor(url, name, match, timeoutMs) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url)
    ws.binaryType = 'arraybuffer'
    const timer = setTimeout(() => { ws.close(); reject(new Error(`${name}: no matching event in ${timeoutMs} ms`)) }, timeoutMs)
    ws.onerror = (e) => { clearTimeout(timer); reject(new Error(`${name}: websocket error ${e.message || ''}`)) }
    ws.onopen = () => log(`${name}: subscribed ${url}`)
    ws.onmessage = (msg) => {
      const found = match(msg.data)
      if (found) { clearTimeout(timer); ws.close(); resolve({ at: Date.now(), ...found }) }
    }
  })
}

async function main() {
  const handle = `e2e${Date.now() % 100000}.test`
  let did = null
  const wantDid = () => did
  const relaySeen = waitFor(`${RELAY}/xrpc/com.atproto.sync.subscribeRepos`, 'relay', (data) => {
    const [header, body] = cborDecodeMulti(new Uint8Array(data))
    if (header.t !== '#commit' || body.repo !== wantDid()) return null
    const op = (body.ops || []).find((o) => o.path.startsWith('app.bsky.feed.post/'))
    return op ? { seq: body.seq, rev: body.rev, path: op.path, cid: String(op.cid) } : null
  }, 60000)
  const jetSeen = waitFor(`${JETSTREAM}/subscribe?wantedCollections=app.bsky.feed.post`, 'jetstream', (data) => {
    const ev = JSON.parse(typeof data === 'string' ? data : Buffer.from(data).toString('utf8'))
    if (ev.kind !== 'commit' || ev.did !== wantDid()) return null
    return { time_us: ev.time_us, rev: ev.commit.rev, rkey: ev.commit.rkey, cid: ev.commit.cid, text: ev.commit.record && ev.commit.record.text }
  }, 60000)
  // The post links to a URL of its own; spacedust indexes it as a link.
  const link = `https://example.com/atnix-e2e-${Date.now()}`
  const dustSeen = SPACEDUST
    ? waitFor(`${SPACEDUST}/subscribe?instant=true&wantedSubjects=${encodeURIComponent(link)}`, 'spacedust', (data) => {
        const ev = JSON.parse(typeof data === 'string' ? data : Buffer.from(data).toString('utf8'))
        if (ev.kind !== 'link' || !ev.link || ev.link.subject !== link) return null
        return { operation: ev.link.operation, source: ev.link.source, sourceRecord: ev.link.source_record }
      }, 60000)
    : null
  await new Promise((r) => setTimeout(r, 1500))

  const acct = await xrpc('com.atproto.server.createAccount', { handle, email: `${handle}@example.invalid`, password: 'e2e-password' })
  did = acct.did
  log(`account ${handle} ${did}`)
  const t0 = Date.now()
  const post = await xrpc('com.atproto.repo.createRecord', {
    repo: did,
    collection: 'app.bsky.feed.post',
    record: {
      $type: 'app.bsky.feed.post',
      text: 'hello from the atnix e2e chain',
      createdAt: new Date().toISOString(),
      embed: { $type: 'app.bsky.embed.external', external: { uri: link, title: 'atnix e2e', description: '' } },
    },
  }, acct.accessJwt)
  log(`post ${post.uri} cid ${post.cid} rev ${post.commit && post.commit.rev}`)
  const [relay, jet] = await Promise.all([relaySeen, jetSeen])
  log(`relay: seq ${relay.seq} rev ${relay.rev} ${relay.path} cid ${relay.cid} after ${relay.at - t0} ms`)
  log(`jetstream: time_us ${jet.time_us} rev ${jet.rev} rkey ${jet.rkey} cid ${jet.cid} text ${JSON.stringify(jet.text)} after ${jet.at - t0} ms`)
  if (relay.cid !== post.cid || jet.cid !== post.cid) throw new Error('cid mismatch along the chain')
  const summary = { did, uri: post.uri, cid: post.cid, relaySeq: relay.seq, relayMs: relay.at - t0, jetstreamTimeUs: jet.time_us, jetstreamMs: jet.at - t0 }
  if (dustSeen) {
    const dust = await dustSeen
    log(`spacedust: ${dust.operation} ${dust.source} from ${dust.sourceRecord} to ${link} after ${dust.at - t0} ms`)
    if (dust.sourceRecord !== post.uri) throw new Error(`spacedust linked ${dust.sourceRecord}, not the post ${post.uri}`)
    Object.assign(summary, { spacedustSource: dust.source, spacedustMs: dust.at - t0 })
  }
  console.log(JSON.stringify(summary))
}

main().catch((e) => { console.error(e); process.exit(1) })

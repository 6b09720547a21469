// Black-box wire check for a server compatible with LiveStore's sync-cf 0.4.0 (WebSocket and HTTP
// transports). It speaks the raw Effect-RPC JSON frames and uses no LiveStore code, so the same
// checks run against the real sync-cf server (start-server.sh) and against ours
// (tests/auto/sync/tst_wirecheck.cpp runs it against livestore-sync-server).
// Prints one PASS/FAIL line per check, then ALL PASS or "N FAILURE(S)"; exits 0 only if all pass.
// Usage: node wire-check.mjs [baseUrl=http://127.0.0.1:8787]
import WebSocket from 'ws'

const base = (process.argv[2] ?? 'http://127.0.0.1:8787').replace(/\/$/, '')
const storeId = `wirecheck-${Date.now()}`
const wsUrl = `${base.replace(/^http/, 'ws')}/?storeId=${storeId}&transport=ws`
const httpUrl = `${base}/?storeId=${storeId}&transport=http`

let failures = 0
const check = (cond, label, detail) => {
  console.log(`${cond ? 'PASS' : 'FAIL'} ${label}${!cond && detail !== undefined ? ` -- ${JSON.stringify(detail).slice(0, 400)}` : ''}`)
  if (!cond) failures++
}

const ev = (seqNum, parentSeqNum = seqNum - 1, extra = {}) => ({
  name: 'v1.TodoCreated',
  args: { id: `id-${seqNum}`, text: `event ${seqNum}` },
  seqNum,
  parentSeqNum,
  clientId: 'wire-check-client',
  sessionId: 'wire-check-session',
  ...extra,
})

// --- tiny WS RPC harness: collects frames, auto-acks chunks (as real Effect RPC clients do) ---
const ws = new WebSocket(wsUrl)
const inbox = []
let waiters = []
ws.on('message', (data) => {
  const msg = JSON.parse(data.toString())
  if (msg._tag === 'Chunk') ws.send(JSON.stringify({ _tag: 'Ack', requestId: msg.requestId }))
  inbox.push(msg)
  for (const w of waiters) w()
})
const send = (obj) => ws.send(typeof obj === 'string' ? obj : JSON.stringify(obj))
const waitFor = (pred, timeoutMs = 5000) =>
  new Promise((resolve, reject) => {
    const tryFind = () => {
      const i = inbox.findIndex(pred)
      if (i >= 0) {
        const [m] = inbox.splice(i, 1)
        waiters = waiters.filter((w) => w !== tryFind)
        clearTimeout(t)
        resolve(m)
      }
    }
    const t = setTimeout(() => {
      waiters = waiters.filter((w) => w !== tryFind)
      reject(new Error(`timeout waiting (${pred}); unconsumed: ${JSON.stringify(inbox).slice(0, 1500)}`))
    }, timeoutMs)
    waiters.push(tryFind)
    tryFind()
  })
const req = (id, tag, payload) => send({ _tag: 'Request', id, tag, payload, headers: [] })
const exitOf = (id) => waitFor((m) => m._tag === 'Exit' && m.requestId === id)
const chunkOf = (id) => waitFor((m) => m._tag === 'Chunk' && m.requestId === id)
const collectStream = async (id) => {
  const pages = []
  while (true) {
    const m = await waitFor((x) => x.requestId === id && (x._tag === 'Chunk' || x._tag === 'Exit'))
    if (m._tag === 'Exit') return { pages, exit: m.exit }
    pages.push(...m.values)
  }
}

await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject) })

// 1. heartbeat
send('{"_tag":"Ping"}')
check((await waitFor((m) => m._tag === 'Pong'))._tag === 'Pong', 'Ping -> Pong')

// 2. live pull on empty store: one empty page, NoMore, carries backendId; no Exit
req('0', 'SyncWsRpc.Pull', { storeId, live: true, cursor: { _tag: 'None' } })
const first = await chunkOf('0')
const page0 = first.values[0]
check(page0.batch.length === 0 && page0.pageInfo._tag === 'NoMore', 'live pull: initial empty page with NoMore', page0)
const backendId = page0.backendId
check(typeof backendId === 'string' && backendId.length > 0, 'live pull: backendId present', page0)

// 3. push 2 events; ack + echo on the live pull
req('1', 'SyncWsRpc.Push', { storeId, batch: [ev(1, 0), ev(2, 1)], backendId: { _tag: 'None' } })
const ack1 = await exitOf('1')
check(ack1.exit._tag === 'Success' && JSON.stringify(ack1.exit.value) === '{}', 'push: Exit Success with {}', ack1)
const echo = (await chunkOf('0')).values[0]
check(
  echo.batch.map((b) => b.eventEncoded.seqNum).join() === '1,2' &&
    echo.batch[0].metadata._tag === 'Some' &&
    echo.batch[0].metadata.value._tag === 'SyncMessage.SyncMetadata' &&
    typeof echo.batch[0].metadata.value.createdAt === 'string' &&
    echo.pageInfo._tag === 'NoMore' &&
    echo.backendId === backendId,
  'push: events echoed to live pull (incl. pusher) with SyncMetadata',
  echo,
)
check(JSON.stringify(echo.batch[0].eventEncoded) === JSON.stringify(ev(1, 0)), 'push: event round-trips unchanged', echo.batch[0])

// 4. stale push -> ServerAheadError
req('2', 'SyncWsRpc.Push', { storeId, batch: [ev(1, 0)], backendId: { _tag: 'Some', value: backendId } })
const e2 = (await exitOf('2')).exit
check(
  e2._tag === 'Failure' && e2.cause._tag === 'Fail' && e2.cause.error._tag === 'ServerAheadError' &&
    e2.cause.error.minimumExpectedNum === 2 && e2.cause.error.providedNum === 0,
  'stale push: ServerAheadError {minimumExpectedNum: head, providedNum: parentSeqNum}',
  e2,
)

// 5. wrong backend id -> BackendIdMismatchError (push and pull)
req('3', 'SyncWsRpc.Push', { storeId, batch: [ev(3, 2)], backendId: { _tag: 'Some', value: 'wrong' } })
const e3 = (await exitOf('3')).exit
check(
  e3._tag === 'Failure' && e3.cause.error?._tag === 'BackendIdMismatchError' &&
    e3.cause.error.expected === backendId && e3.cause.error.received === 'wrong',
  'push with wrong backendId: BackendIdMismatchError',
  e3,
)
req('4', 'SyncWsRpc.Pull', { storeId, live: false, cursor: { _tag: 'Some', value: { backendId: 'wrong', eventSequenceNumber: 1 } } })
const e4 = (await exitOf('4')).exit
check(e4._tag === 'Failure' && e4.cause.error?._tag === 'BackendIdMismatchError', 'pull with wrong backendId: BackendIdMismatchError', e4)

// 6. bulk: 250 more events in pushes of <=100 (what real clients send)
let head = 2
for (const n of [100, 100, 50]) {
  const batch = Array.from({ length: n }, (_, i) => ev(head + 1 + i))
  const id = String(1000 + head) // request ids must be decimal integer strings (server parses them as BigInt)
  req(id, 'SyncWsRpc.Push', { storeId, batch, backendId: { _tag: 'Some', value: backendId } })
  const ex = (await exitOf(id)).exit
  check(ex._tag === 'Success', `bulk push ${head + 1}..${head + n}`, ex)
  head += n
}

// 7. non-live pull from start: pages of <=100 events, MoreKnown(remaining) then NoMore, then Exit Success
req('5', 'SyncWsRpc.Pull', { storeId, live: false, cursor: { _tag: 'None' } })
const s5 = await collectStream('5')
const all = s5.pages.flatMap((p) => p.batch.map((b) => b.eventEncoded.seqNum))
check(s5.exit._tag === 'Success', 'non-live pull: ends with Exit Success', s5.exit)
check(all.length === 252 && all.every((s, i) => s === i + 1), 'non-live pull: all 252 events in order', all.slice(0, 5))
check(s5.pages.every((p) => p.batch.length <= 100), 'non-live pull: <=100 events per page', s5.pages.map((p) => p.batch.length))
check(
  s5.pages.at(-1).pageInfo._tag === 'NoMore' && s5.pages.slice(0, -1).every((p) => p.pageInfo._tag === 'MoreKnown'),
  'non-live pull: MoreKnown ... NoMore',
  s5.pages.map((p) => p.pageInfo),
)
let remaining = 252
const remainingOk = s5.pages.every((p) => {
  remaining -= p.batch.length
  return p.pageInfo._tag === 'NoMore' ? remaining === 0 : p.pageInfo.remaining === remaining
})
check(remainingOk, 'non-live pull: MoreKnown.remaining counts events after this page', s5.pages.map((p) => p.pageInfo))

// 8. pull with cursor: strictly after cursor
req('6', 'SyncWsRpc.Pull', { storeId, live: false, cursor: { _tag: 'Some', value: { backendId, eventSequenceNumber: 250 } } })
const s6 = await collectStream('6')
check(s6.pages.flatMap((p) => p.batch.map((b) => b.eventEncoded.seqNum)).join() === '251,252', 'pull with cursor 250 -> 251,252', s6.pages)
req('7', 'SyncWsRpc.Pull', { storeId, live: false, cursor: { _tag: 'Some', value: { backendId, eventSequenceNumber: 252 } } })
const s7 = await collectStream('7')
check(s7.pages.length === 1 && s7.pages[0].batch.length === 0 && s7.pages[0].pageInfo._tag === 'NoMore', 'pull at head -> one empty NoMore page', s7.pages)

// 9. interrupt the live pull -> Exit Failure (interrupt cause)
send({ _tag: 'Interrupt', requestId: '0' })
const e0 = (await exitOf('0')).exit
check(e0._tag === 'Failure', 'Interrupt live pull -> Exit Failure', e0)
ws.close()

// --- HTTP transport (one JSON request per POST, JSON array of responses back) ---
const post = async (body) => {
  const r = await fetch(httpUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return { status: r.status, json: await r.json() }
}
const hp = await post({ _tag: 'Request', id: '1', tag: 'SyncHttpRpc.Ping', payload: { storeId }, headers: [] })
check(hp.status === 200 && hp.json[0]?.exit?.value?._tag === 'SyncMessage.Pong', 'HTTP Ping -> [Exit Success {_tag: SyncMessage.Pong}]', hp)
const hl = await post({ _tag: 'Request', id: '2', tag: 'SyncHttpRpc.Pull', payload: { storeId, cursor: { _tag: 'Some', value: { backendId, eventSequenceNumber: 251 } } }, headers: [] })
check(
  hl.json.length === 2 && hl.json[0]._tag === 'Chunk' && hl.json[0].values[0].batch[0].eventEncoded.seqNum === 252 && hl.json[1]._tag === 'Exit',
  'HTTP Pull -> [Chunk, Exit]',
  hl.json,
)
const hs = await post({ _tag: 'Request', id: '3', tag: 'SyncHttpRpc.Push', payload: { storeId, batch: [ev(5, 4)], backendId: { _tag: 'None' } }, headers: [] })
check(hs.json[0]?.exit?.cause?.error?._tag === 'ServerAheadError', 'HTTP stale Push -> ServerAheadError', hs.json)
const hok = await post({ _tag: 'Request', id: '4', tag: 'SyncHttpRpc.Push', payload: { storeId, batch: [ev(253, 252)], backendId: { _tag: 'Some', value: backendId } }, headers: [] })
check(hok.json[0]?.exit?._tag === 'Success', 'HTTP Push at head -> Success', hok.json)

// --- misc HTTP routing ---
const noUpgrade = await fetch(wsUrl.replace(/^ws/, 'http'))
check(noUpgrade.status === 426, 'GET ?transport=ws without Upgrade -> 426', noUpgrade.status)

console.log(failures === 0 ? 'ALL PASS' : `${failures} FAILURE(S)`)
process.exit(failures === 0 ? 0 : 1)

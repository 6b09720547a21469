// A real LiveStore 0.4.0 client on Node (@livestore/adapter-node, makeWsSync from
// @livestore/sync-cf): it opens store STORE_ID with local data of its own, commits COUNT events,
// waits until the store holds EXPECTED rows (its own plus what it pulled), logs them, and exits 0
// if it saw them all.
//
// Usage: node client.mjs NAME [COUNT=1] [EXPECTED=COUNT]
// Env:   SYNC_URL      default ws://127.0.0.1:8787
//        STORE_ID      default demo (only [A-Za-z0-9_-])
//        DATA_DIR      default ./data; the client's data is in DATA_DIR/NAME, so NAME again resumes it
//        TIMEOUT_MS    how long to wait for EXPECTED rows, default 20000
//        SYNC_PAYLOAD  JSON, sent as ?payload= and inside every RPC (e.g. {"authToken":"..."})
//        SCHEMA        the schema module: a name under schemas/ (default todos) or a path to a
//                      .mjs file; schemas/todos.mjs says what such a module exports
// Output (stdout): "[NAME] committed N event(s)", then "[NAME] sees M row(s): a | b | ...".
//
// Node 20 has no global WebSocket (without --experimental-websocket), and makeWsSync would only log
// "globalThis.WebSocket is not a constructor" and never sync: the `ws` package stands in.
if (typeof globalThis.WebSocket === 'undefined') globalThis.WebSocket = (await import('ws')).WebSocket

import path from 'node:path'
import { pathToFileURL } from 'node:url'

import { makeAdapter } from '@livestore/adapter-node'
import { createStorePromise } from '@livestore/livestore'
import { makeWsSync } from '@livestore/sync-cf/client'

const name = process.argv[2] ?? 'A'
const count = Number(process.argv[3] ?? 1)
const expectedTotal = Number(process.argv[4] ?? count)
const url = process.env.SYNC_URL ?? 'ws://127.0.0.1:8787'
const storeId = process.env.STORE_ID ?? 'demo'
const timeoutMs = Number(process.env.TIMEOUT_MS ?? 20000)
const log = (...a) => console.log(`[${name}]`, ...a)

const schemaArg = process.env.SCHEMA || 'todos'
const schemaFile = /[\\/]|\.m?js$/.test(schemaArg)
  ? path.resolve(schemaArg)
  : new URL(`./schemas/${schemaArg}.mjs`, import.meta.url)
const schemaModule = await import(schemaFile instanceof URL ? schemaFile.href : pathToFileURL(schemaFile).href)
for (const key of ['schema', 'makeEvent', 'rows$', 'describe']) {
  if (!(key in schemaModule)) throw new Error(`schema module ${schemaArg} does not export ${key}`)
}
const { schema, makeEvent, rows$, describe, afterSync } = schemaModule

const adapter = makeAdapter({
  storage: { type: 'fs', baseDirectory: `${process.env.DATA_DIR ?? './data'}/${name}` },
  // The adapter's default ids come from the host name: every client on this machine would be the same client.
  clientId: `client-${name}`,
  sessionId: `session-${name}`,
  sync: { backend: makeWsSync({ url }), onSyncError: 'shutdown' },
})

const syncPayload = process.env.SYNC_PAYLOAD ? JSON.parse(process.env.SYNC_PAYLOAD) : undefined
const store = await createStorePromise({ adapter, schema, storeId, ...(syncPayload ? { syncPayload } : {}) })

for (let i = 0; i < count; i++) store.commit(makeEvent(name, i))
log(`committed ${count} event(s)`)

const rows = await new Promise((resolve) => {
  const timer = setTimeout(() => resolve(store.query(rows$)), timeoutMs)
  const unsubscribe = store.subscribe(rows$, (current) => {
    if (current.length >= expectedTotal) {
      clearTimeout(timer)
      setTimeout(() => unsubscribe?.(), 0)
      resolve(current)
    }
  })
})
log(`sees ${rows.length} row(s):`, rows.map(describe).join(' | '))
let exitCode = rows.length >= expectedTotal ? 0 : 1
if (exitCode === 0 && afterSync) {
  const own = await afterSync({ store, name, rows, log })
  if (typeof own === 'number') exitCode = own
}
// The leader thread may still be pushing the last commits: give it a moment before shutting down.
await new Promise((r) => setTimeout(r, 1500))
await store.shutdownPromise()
process.exit(exitCode)

// One event per argument type family, written for tst_argtypesinterop: strings, numbers, integers,
// booleans, dates, optional and nullable arguments, nested structs, arrays, records and a union of
// literals. Each event inserts one row into `samples`, into the column that fits its type, so the
// state shows how each value is stored. tests/shared/argtypes.json is the same schema in our JSON
// format (its SQL materializers write the same rows).
//
// With client.mjs (SCHEMA=argtypes):
//   node client.mjs NAME COUNT EXPECTED   commits the first COUNT of `samples` below (ids NAME-i),
//                                         waits for EXPECTED rows in `samples`, then prints
//   "SAMPLES [[id, kind, s, n, i, b, d, dms, j], ...]"   every column as typeof:value, text as hex
//                                         of its UTF-8 bytes, reals as JavaScript prints them
//   "EVENTLOG_FILE <path>"                 the SQLite file with the client's own eventlog
import fs from 'node:fs'
import path from 'node:path'

import { Events, makeSchema, queryDb, Schema, State } from '@livestore/livestore'

const samplesTable = State.SQLite.table({
  name: 'samples',
  columns: {
    id: State.SQLite.text({ primaryKey: true }),
    kind: State.SQLite.text({ default: '' }),
    s: State.SQLite.text({ nullable: true }),
    n: State.SQLite.real({ nullable: true }),
    i: State.SQLite.integer({ nullable: true }),
    b: State.SQLite.boolean({ nullable: true }),
    d: State.SQLite.datetime({ nullable: true }),
    dms: State.SQLite.integer({ nullable: true, schema: Schema.DateFromNumber }),
    j: State.SQLite.json({ nullable: true }),
  },
})

export const tables = { samples: samplesTable }

const Inner = Schema.Struct({ when: Schema.Date, flag: Schema.optional(Schema.Boolean) })

const event = (name, fields) => Events.synced({ name, schema: Schema.Struct({ id: Schema.String, ...fields }) })

export const events = {
  text: event('v1.TextSet', { v: Schema.String }),
  number: event('v1.NumberSet', { v: Schema.Number }),
  int: event('v1.IntSet', { v: Schema.Int }),
  bool: event('v1.BoolSet', { v: Schema.Boolean }),
  date: event('v1.DateSet', { v: Schema.Date }),
  maybe: event('v1.MaybeSet', { o: Schema.optional(Schema.String), n: Schema.NullOr(Schema.Number) }),
  struct: event('v1.StructSet', {
    v: Schema.Struct({ zeta: Schema.String, alpha: Schema.Number, inner: Inner, list: Schema.Array(Inner) }),
  }),
  array: event('v1.ArraySet', { v: Schema.Array(Schema.Number) }),
  record: event('v1.RecordSet', { v: Schema.Record({ key: Schema.String, value: Schema.Number }) }),
  choice: event('v1.ChoiceSet', { v: Schema.Literal('a', 'b') }),
}

const row = (id, kind, columns) => samplesTable.insert({ id, kind, ...columns })

const materializers = State.SQLite.materializers(events, {
  'v1.TextSet': ({ id, v }) => row(id, 'text', { s: v }),
  'v1.NumberSet': ({ id, v }) => row(id, 'number', { n: v }),
  'v1.IntSet': ({ id, v }) => row(id, 'int', { i: v }),
  'v1.BoolSet': ({ id, v }) => row(id, 'bool', { b: v }),
  'v1.DateSet': ({ id, v }) => row(id, 'date', { d: v, dms: v }),
  'v1.MaybeSet': ({ id, o, n }) => row(id, 'maybe', { s: o ?? null, n }),
  'v1.StructSet': ({ id, v }) => row(id, 'struct', { j: v }),
  'v1.ArraySet': ({ id, v }) => row(id, 'array', { j: v }),
  'v1.RecordSet': ({ id, v }) => row(id, 'record', { j: v }),
  'v1.ChoiceSet': ({ id, v }) => row(id, 'choice', { s: v }),
})

export const schema = makeSchema({ events, state: State.SQLite.makeState({ tables, materializers }) })

const date = (iso) => new Date(iso)

// The values, in the order tst_argtypesinterop's list has them (its inputs spell some differently:
// -0, 1E21, unordered struct and record keys, escapes JSON allows but JavaScript does not write).
export const samples = [
  ['text', { v: 'plain' }],
  ['text', { v: '' }],
  ['text', { v: '"\\/\b\f\n\r\t\u0000\u0001\u001f\u007f\u0080\u2028\u2029é€😀' }],
  ['text', { v: 'a\ud800b' }],
  ['text', { v: 'x\udc00' }],
  ['number', { v: 0.1 }],
  ['number', { v: 1e21 }],
  ['number', { v: 5e-324 }],
  ['number', { v: -0 }],
  ['number', { v: 1.7976931348623157e308 }],
  ['number', { v: -1e-7 }],
  ['number', { v: 123456789.125 }],
  ['number', { v: 1e20 }],
  ['int', { v: 9007199254740991 }],
  ['int', { v: -9007199254740991 }],
  ['int', { v: 0 }],
  ['bool', { v: true }],
  ['bool', { v: false }],
  ['date', { v: date('2024-05-01T12:00:00.000Z') }],
  ['date', { v: date('0000-01-01T00:00:00.000Z') }],
  ['date', { v: date('-000001-01-01T00:00:00.000Z') }],
  ['date', { v: date('+010000-01-01T00:00:00.000Z') }],
  ['date', { v: date('+275760-09-13T00:00:00.000Z') }],
  ['date', { v: date('-271821-04-20T00:00:00.000Z') }],
  ['date', { v: date('1969-12-31T23:59:59.999Z') }],
  ['maybe', { n: null }],
  ['maybe', { o: 'here', n: 2.5 }],
  ['struct', {
    v: {
      zeta: 'z',
      alpha: 0.1,
      inner: { when: date('+010000-01-01T00:00:00.000Z'), flag: true },
      list: [{ when: date('1970-01-01T00:00:00.000Z') }],
    },
  }],
  ['array', { v: [] }],
  ['array', { v: [1, 0.5, -0, 1e21, 5e-324] }],
  ['record', { v: { 2: 2, 10: 10, b: 2 } }],
  ['record', { v: { zeta: 1, alpha: 0.1 } }],
  ['record', { v: {} }],
  ['choice', { v: 'a' }],
  ['choice', { v: 'b' }],
]

export const makeEvent = (name, i) => {
  const [kind, args] = samples[i]
  return events[kind]({ id: `${name}-${i}`, ...args })
}

export const rows$ = queryDb(samplesTable.orderBy('id', 'asc'))

export const describe = (r) => r.id

// Reals come back as numbers: SQLite's own text for them differs between its versions in the last
// digit, the number itself does not.
const cell = (c) =>
  `CASE typeof(${c}) WHEN 'text' THEN 'text:' || hex(${c}) WHEN 'real' THEN ${c} ` +
  `WHEN 'null' THEN 'null' ELSE typeof(${c}) || ':' || ${c} END AS ${c}`

// The same statement runs on our side (tst_argtypesinterop), with our CLI's `query --json`.
export const stateSql = `SELECT ${['id', 'kind', 's', 'n', 'i', 'b', 'd', 'dms', 'j'].map((c) => (c === 'id' ? 'id' : cell(c))).join(', ')} FROM samples ORDER BY id`

// The client's eventlog file: adapter-node keeps it as an SQLite file in the store's folder (the
// test reads its argsJson bytes from there once this client has exited).
const eventlogFile = (name, storeId) => {
  const dir = path.join(process.env.DATA_DIR ?? './data', name, storeId)
  const file = fs.readdirSync(dir).find((f) => f.startsWith('eventlog') && f.endsWith('.db'))
  if (!file) throw new Error(`no eventlog file in ${dir}: ${fs.readdirSync(dir).join(', ')}`)
  return path.join(dir, file)
}

export const afterSync = async ({ store, name }) => {
  const state = store.query({ query: stateSql, bindValues: {} })
  const show = (v) => (typeof v === 'number' ? `real:${Object.is(v, -0) ? '-0' : String(v)}` : v)
  console.log(`SAMPLES ${JSON.stringify(state.map((r) => Object.values(r).map(show)))}`)
  console.log(`EVENTLOG_FILE ${eventlogFile(name, store.storeId)}`)
}

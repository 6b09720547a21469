// LiveStore's TodoMVC schema, written down here from its documentation: five synced events (two of
// them with a `Schema.Date` that travels as ISO-8601 text), a `todos` table whose `deletedAt` is an
// integer column holding epoch milliseconds (`Schema.DateFromNumber`), and the `uiState` client
// document with a per-session id. Our examples/schemas/todos.json declares the same; its extra
// v1.TodoEdited is unknown here (LiveStore warns and skips it).
//
// Used by tst_todomvcinterop with client.mjs (SCHEMA=todomvc):
//   node client.mjs NAME COUNT EXPECTED   creates COUNT todos "NAME todo i" (ids NAME-i), waits for
//                                         EXPECTED rows in `todos` (deleted ones included)
//   TODOMVC_ACT=1                          then: completes NAME-0 and NAME-1, uncompletes NAME-1,
//                                         deletes NAME-2, completes the todo whose text is
//                                         $TODOMVC_COMPLETE_TEXT (another client's), clears the
//                                         completed ones
// and prints the table as one line: "TODOS [[id, text, completed, deletedAtMs|null], ...]".
import { Events, makeSchema, queryDb, Schema, SessionIdSymbol, State } from '@livestore/livestore'

const todos = State.SQLite.table({
  name: 'todos',
  columns: {
    id: State.SQLite.text({ primaryKey: true }),
    text: State.SQLite.text({ default: '' }),
    completed: State.SQLite.boolean({ default: false }),
    deletedAt: State.SQLite.integer({ nullable: true, schema: Schema.DateFromNumber }),
  },
})

const Filter = Schema.Literal('all', 'active', 'completed')

const uiState = State.SQLite.clientDocument({
  name: 'uiState',
  schema: Schema.Struct({ newTodoText: Schema.String, filter: Filter }),
  default: { id: SessionIdSymbol, value: { newTodoText: '', filter: 'all' } },
})

export const tables = { todos, uiState }

export const events = {
  todoCreated: Events.synced({ name: 'v1.TodoCreated', schema: Schema.Struct({ id: Schema.String, text: Schema.String }) }),
  todoCompleted: Events.synced({ name: 'v1.TodoCompleted', schema: Schema.Struct({ id: Schema.String }) }),
  todoUncompleted: Events.synced({ name: 'v1.TodoUncompleted', schema: Schema.Struct({ id: Schema.String }) }),
  todoDeleted: Events.synced({
    name: 'v1.TodoDeleted',
    schema: Schema.Struct({ id: Schema.String, deletedAt: Schema.Date }),
  }),
  todoClearedCompleted: Events.synced({
    name: 'v1.TodoClearedCompleted',
    schema: Schema.Struct({ deletedAt: Schema.Date }),
  }),
  uiStateSet: uiState.set,
}

const materializers = State.SQLite.materializers(events, {
  'v1.TodoCreated': ({ id, text }) => todos.insert({ id, text, completed: false }),
  'v1.TodoCompleted': ({ id }) => todos.update({ completed: true }).where({ id }),
  'v1.TodoUncompleted': ({ id }) => todos.update({ completed: false }).where({ id }),
  'v1.TodoDeleted': ({ id, deletedAt }) => todos.update({ deletedAt }).where({ id }),
  'v1.TodoClearedCompleted': ({ deletedAt }) => todos.update({ deletedAt }).where({ completed: true }),
})

const state = State.SQLite.makeState({ tables, materializers })

export const schema = makeSchema({ events, state })

export const makeEvent = (name, i) => events.todoCreated({ id: `${name}-${i}`, text: `${name} todo ${i}` })

export const rows$ = queryDb(todos.orderBy('id', 'asc'))

export const describe = (todo) => todo.text

const asLine = (rows) =>
  JSON.stringify(rows.map((t) => [t.id, t.text, t.completed, t.deletedAt === null ? null : t.deletedAt.getTime()]))

export const afterSync = async ({ store, name, log }) => {
  if (process.env.TODOMVC_ACT === '1') {
    store.commit(events.todoCompleted({ id: `${name}-0` }))
    store.commit(events.todoCompleted({ id: `${name}-1` }))
    store.commit(events.todoUncompleted({ id: `${name}-1` }))
    store.commit(events.todoDeleted({ id: `${name}-2`, deletedAt: new Date() }))
    const other = store.query(rows$).find((t) => t.text === process.env.TODOMVC_COMPLETE_TEXT)
    if (!other) {
      log(`no todo with text ${process.env.TODOMVC_COMPLETE_TEXT}`)
      return 1
    }
    store.commit(events.todoCompleted({ id: other.id }))
    store.commit(events.todoClearedCompleted({ deletedAt: new Date() }))
    log('acted')
  }
  console.log(`TODOS ${asLine(store.query(rows$))}`)
}

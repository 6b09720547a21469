// The todo schema of our interop tests, the same as tests/shared/harness-todos.json in our JSON
// schema format (tst_wirecheck runs our livestore tool with that file against these clients).
// Event names and arguments are what goes on the wire.
//
// A schema module for client.mjs exports:
//   schema              makeSchema(...)
//   makeEvent(name, i)  the i-th event client `name` commits
//   rows$               the query whose rows the client counts (it waits for `expectedTotal` rows)
//   describe(row)       a row in the client's log line
// and may export afterSync({ store, name, rows, log }), run once the rows are there, for checks
// or output of its own (its exit code is the client's if it returns a number).
import { Events, makeSchema, queryDb, Schema, State } from '@livestore/livestore'

export const tables = {
  todos: State.SQLite.table({
    name: 'todos',
    columns: {
      id: State.SQLite.text({ primaryKey: true }),
      text: State.SQLite.text({ default: '' }),
      completed: State.SQLite.boolean({ default: false }),
    },
  }),
}

export const events = {
  todoCreated: Events.synced({
    name: 'v1.TodoCreated',
    schema: Schema.Struct({ id: Schema.String, text: Schema.String }),
  }),
  todoCompleted: Events.synced({
    name: 'v1.TodoCompleted',
    schema: Schema.Struct({ id: Schema.String }),
  }),
}

const materializers = State.SQLite.materializers(events, {
  'v1.TodoCreated': ({ id, text }) => tables.todos.insert({ id, text, completed: false }),
  'v1.TodoCompleted': ({ id }) => tables.todos.update({ completed: true }).where({ id }),
})

const state = State.SQLite.makeState({ tables, materializers })

export const schema = makeSchema({ events, state })

// Ids unique across runs and clients: a client resuming from its data adds new todos.
export const makeEvent = (name, i) =>
  events.todoCreated({ id: `${name}-${i}-${Date.now()}`, text: `todo ${i} from ${name}` })

export const rows$ = queryDb(tables.todos.orderBy('id', 'asc'))

export const describe = (todo) => todo.text

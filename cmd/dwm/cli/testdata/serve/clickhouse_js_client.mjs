// @clickhouse/client (the official Node.js client) against dwm serve: default settings, then a
// session with SET, query parameters, gzip both ways, JSON and streamed answers, and errors.
//
// Usage: node clickhouse_js_client.mjs URL USER DATABASE   (password in $CH_PASSWORD; run with
// NODE_PATH pointing at the node_modules that hold @clickhouse/client)
// Prints OK and exits 0 when every check holds; any failure throws.
import { createRequire } from 'node:module'
import assert from 'node:assert/strict'

const require = createRequire(import.meta.url)
const { createClient } = require('@clickhouse/client')
const [url, username, database] = process.argv.slice(2)
const password = process.env.CH_PASSWORD ?? ''

const plain = createClient({ url, username, password, database })
await plain.command({ query: 'CREATE TABLE js_events (id UInt32, name String, at DateTime) ENGINE = MergeTree ORDER BY id' })

// Inserts and answers compressed with gzip both ways.
const gz = createClient({ url, username, password, database, compression: { request: true, response: true } })
const N = 5000
const rows = Array.from({ length: N }, (_, i) => ({ id: i, name: `n${i}`, at: '2024-05-06 07:08:09' }))
await gz.insert({ table: 'js_events', values: rows, format: 'JSONEachRow' })
const all = await (await gz.query({ query: 'SELECT id, name, at FROM js_events ORDER BY id', format: 'JSONEachRow' })).json()
assert.deepEqual(all, rows)

// Query parameters.
const [{ c }] = await (await plain.query({
  query: 'SELECT count() AS c FROM js_events WHERE id < {n:UInt32} AND startsWith(name, {p:String})',
  query_params: { n: 100, p: 'n1' },
  format: 'JSONEachRow',
})).json()
assert.equal(Number(c), 11) // n1 and n10..n19

// A session keeps its SET; another client does not see it.
const session = createClient({ url, username, password, database, session_id: `js-${process.pid}` })
await session.command({ query: 'SET max_threads = 3' })
const getThreads = async (client) => (await (await client.query({ query: "SELECT getSetting('max_threads') AS t", format: 'JSONEachRow' })).json())[0].t
assert.equal(Number(await getThreads(session)), 3)
assert.notEqual(Number(await getThreads(plain)), 3)

// A streamed JSON answer over many blocks.
const stream = (await plain.query({ query: 'SELECT number FROM numbers(200000)', format: 'JSONCompactEachRow' })).stream()
let n = 0
for await (const batch of stream) n += batch.length
assert.equal(n, 200000)

// Errors arrive as ClickHouse's.
await assert.rejects(plain.query({ query: 'SELECT * FROM no_such_table' }), (e) => e.code === '60' && e.type === 'UNKNOWN_TABLE')

for (const client of [plain, gz, session]) await client.close()
console.log('OK')

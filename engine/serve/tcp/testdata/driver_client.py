"""Drives dwm serve's native TCP port with clickhouse-driver and prints what it saw as JSON.

Usage: driver_client.py HOST PORT PASSWORD DATABASE. The Go test (driver_test.go) checks the
output and the engine's tables.
"""
import datetime
import decimal
import json
import sys

from clickhouse_driver import Client
from clickhouse_driver.errors import ServerException

host, port, password, database = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
out = {}


def client(**kw):
    return Client(host, port=port, user='default', password=password, database=database, **kw)


c = client()
rows, types = c.execute(
    "SELECT 1 AS u8, -5 AS i, 'x\\ty' AS s, [1, 2] AS a, NULL AS n, toDecimal64(1.5, 3) AS d, "
    "toDateTime64('2024-01-02 03:04:05.123', 3, 'UTC') AS dt, toLowCardinality('lc') AS lc, "
    "map('k', 1) AS m, (1, 'a') AS t, toUUID('61f0c404-5cb3-11e7-907b-a6006ad3dba0') AS u",
    with_column_types=True)
out['types'] = [t for _, t in types]
out['constants'] = [str(v) for v in rows[0]]

c.execute("CREATE TABLE py (a UInt32, s String, n Nullable(Int64), lc LowCardinality(String), "
          "d Decimal(18, 4), arr Array(String), at DateTime64(3, 'UTC'), m Map(String, UInt32)) "
          "ENGINE = MergeTree ORDER BY a")
base = datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc)


def row(i):
    return (i, 's%d\n' % i, None if i % 2 else i * 3, 'lc%d' % (i % 3), decimal.Decimal(i) / 4,
            ['a', str(i)], base + datetime.timedelta(milliseconds=i), {'k': i})


sent = [row(i) for i in range(10000)]
out['inserted'] = c.execute('INSERT INTO py VALUES', sent)
back = c.execute('SELECT a, s, n, lc, d, arr, at, m FROM py ORDER BY a')
out['roundtrip'] = back == sent

try:
    c.execute('SELECT * FROM nope')
except ServerException as e:
    out['error'] = [e.code, 'UNKNOWN_TABLE' in e.message]

p = client(settings={'server_side_params': True})
out['params'] = list(p.execute("SELECT {x:String}, {y:Int32}", {'x': "it's", 'y': 5})[0])

for method in ['lz4', 'zstd']:
    z = client(compression=method)
    z.execute('INSERT INTO py VALUES', [row(i) for i in range(10000, 15000)] if method == 'lz4'
              else [row(i) for i in range(15000, 20000)])
    out[method] = list(z.execute('SELECT count(), sum(a), countIf(n IS NULL) FROM py')[0])

print(json.dumps(out))

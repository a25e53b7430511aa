"""clickhouse-connect, with its default settings, against dwm serve.

Defaults that matter here: every request carries a session_id (autogenerate_session_id), inserts
are sent LZ4-compressed (Content-Encoding: lz4) in Native format, answers are asked for
compressed (Accept-Encoding), and query parameters are bound server-side.

Usage: python clickhouse_connect_client.py HOST PORT USER DATABASE  (password in $CH_PASSWORD)
Prints OK and exits 0 when every check holds; any failure raises.
"""
import datetime
import decimal
import os
import sys
import uuid

import clickhouse_connect

host, port, user, database = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
client = clickhouse_connect.get_client(host=host, port=port, username=user,
                                       password=os.environ["CH_PASSWORD"], database=database)

# The defaults this test is about.
assert client.params.get("session_id"), "clickhouse-connect did not open a session"

client.command("""
CREATE TABLE mixed (
    id UInt64, small Int32, ratio Float64, name String, maybe Nullable(String), day Date,
    at DateTime64(3, 'UTC'), price Decimal(18, 4), tags Array(String), attrs Map(String, UInt32),
    flag Bool, uid UUID, kind LowCardinality(String)
) ENGINE = MergeTree ORDER BY id""")

N = 100_000
base_day = datetime.date(2024, 1, 1)
base_at = datetime.datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=datetime.timezone.utc)
rows = []
for i in range(N):
    rows.append([
        i, -i, i / 8, f"name-{i}", None if i % 3 == 0 else f"m{i}", base_day + datetime.timedelta(days=i % 1000),
        base_at + datetime.timedelta(milliseconds=i), decimal.Decimal(i) / 4, [f"t{i % 5}", "x"],
        {"k": i % 100}, i % 2 == 0, uuid.UUID(int=i), ["a", "b", "c"][i % 3],
    ])
columns = ["id", "small", "ratio", "name", "maybe", "day", "at", "price", "tags", "attrs", "flag", "uid", "kind"]
summary = client.insert("mixed", rows, column_names=columns)
assert summary.written_rows == N, f"insert wrote {summary.written_rows} rows"

# Every value comes back as it went in (DateTime64 comes back naive, in UTC).
back = client.query("SELECT * FROM mixed ORDER BY id").result_rows
assert len(back) == N, f"read {len(back)} rows"
for want, got in zip(rows, back):
    got = list(got)
    got[6] = got[6].replace(tzinfo=datetime.timezone.utc)
    assert got == want, f"row {want[0]}: sent {want!r}, read {got!r}"

# Query parameters, bound by the server.
count = client.query("SELECT count() FROM mixed WHERE id < {n:UInt64} AND kind = {k:String}",
                     parameters={"n": 300, "k": "b"}).result_rows[0][0]
assert count == 100, f"parameterised count {count}"

# SET lasts for the session, and only for it.
client.command("SET max_threads = 3")
assert client.command("SELECT getSetting('max_threads')") == 3
other = clickhouse_connect.get_client(host=host, port=port, username=user,
                                      password=os.environ["CH_PASSWORD"], database=database)
assert other.command("SELECT getSetting('max_threads')") != 3, "a session's SET reached another session"

# A temporary table lives in the session.
client.command("CREATE TEMPORARY TABLE seen (id UInt64)")
client.insert("seen", [[1], [2]], column_names=["id"])
assert client.command("SELECT count() FROM seen") == 2

# Errors arrive as ClickHouse's.
try:
    client.query("SELECT * FROM no_such_table")
    raise AssertionError("no error for a missing table")
except clickhouse_connect.driver.exceptions.DatabaseError as e:
    assert "UNKNOWN_TABLE" in str(e) or "60" in str(e), str(e)

print("OK")

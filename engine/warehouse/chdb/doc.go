// Package chdb is dwm's embedded ClickHouse target: a warehouse.Warehouse backed by libchdb, the
// ClickHouse engine as a shared library, in this process.
//
// The binding is our own, made with purego, so dwm builds with CGO_ENABLED=0 for linux/amd64,
// linux/arm64, darwin/amd64 and darwin/arm64 and runs without the library until Open is called;
// Open looks for it in Options.LibraryPath, $DWM_LIBCHDB, the cache `dwm engine install` fills
// (package chdbinstall), then /usr/local/lib (see LibraryCandidates). The C API, the signal
// switch and the flock are the same on Linux and macOS; the few platform details (dlopen flags,
// file name, lock) carry their reasons where they are used. Only Linux x86-64 is run here; the
// other three are built and vetted (`make test`), not run.
//
// A Warehouse holds a pool of Options.Conns connections, because libchdb runs one statement at a
// time per connection, plus one control connection for KILL QUERY. A statement whose context
// ends is killed by a tag comment prepended to its SQL, and the call returns at once.
//
// Behaviour measured on libchdb 26.7.3-stable.1 (engine 26.7.2.1), 2 vCPU, which the code and
// tests rely on:
//
//   - One data directory per process: connecting to a second directory while the first has
//     connections returns NULL, so Open refuses with a clear error. After Close, reopening the
//     same directory or a different one in the same process works (the engine shuts down with
//     its last connection and boots again; upstream warns that doing this very many times has
//     corrupted the allocator on macOS, which is one more reason to keep a Warehouse open).
//   - libchdb flocks DIR/status itself, and a second process's connect then returns NULL and
//     only prints the reason. Open takes its own flock on DIR/dwm.lock first, so the second
//     process gets warehouse.ErrLocked naming the holder's PID. Data survives kill -9, and the
//     stale status file does not block reopening.
//   - chdb_set_signal_handlers_enabled(0) must precede the first connect, or a Go panic hangs
//     for minutes inside libchdb's handlers (TestPanicAfterConnectExitsPromptly).
//   - KILL QUERY ... ASYNC from another connection stops a scan of numbers(1e12) within a few
//     milliseconds of the KILL (the cancelled call returns ~5-10 ms after the context ends);
//     KILL ... SYNC hangs.
//   - A statement that fails after printing part of its output leaves that output in the
//     connection, prepended to the next statement's result; see conn.flush.
//   - chDB's "default" database has engine Overlay, databases made by CREATE DATABASE are
//     Atomic, and EXCHANGE TABLES works in both.
//   - Settings passed as connect arguments are silently ignored when unknown, so Options.Settings
//     are applied with SET instead, where a bad name fails Open.
//   - A trivial statement costs about 0.7 ms (Exec) to 0.9 ms (Query) end to end; reading and
//     decoding 1M rows x 3 columns takes about 0.3 s.
//
// chdb_shutdown is never called: it makes every later connect in the process fail.
package chdb

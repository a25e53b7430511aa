package chdb

import (
	"fmt"
	"unsafe"

	"github.com/ebitengine/purego"
)

// lib is the subset of the libchdb C API dwm calls, bound with purego so the binary builds with
// CGO_ENABLED=0 and runs without the library until a warehouse is opened.
//
// Handles are uintptr: they are C pointers Go never dereferences, and uintptr keeps the garbage
// collector from treating them as Go memory. chdb_connect's result is the exception: Go reads the
// handle it points to, so it is typed *uintptr (memory outside the Go heap is ignored by the GC).
type lib struct {
	path string

	setSignalHandlersEnabled func(enabled int32)
	connect                  func(argc int32, argv **byte) *uintptr // chdb_connection*, in C memory
	closeConn                func(connPtr *uintptr)
	queryN                   func(conn uintptr, query *byte, queryLen uintptr, format *byte, formatLen uintptr) uintptr
	destroyResult            func(res uintptr)
	resultBuffer             func(res uintptr) *byte
	resultLength             func(res uintptr) uintptr
	resultError              func(res uintptr) *byte
	resultElapsed            func(res uintptr) float64
	resultRowsRead           func(res uintptr) uint64
	resultStorageRowsRead    func(res uintptr) uint64
	resultRowsWritten        func(res uintptr) uint64

	// Streaming queries: the result arrives in chunks as the engine produces it (see stream.go).
	streamQueryN      func(conn uintptr, query *byte, queryLen uintptr, format *byte, formatLen uintptr) uintptr
	streamFetchResult func(conn uintptr, res uintptr) uintptr
	streamCancelQuery func(conn uintptr, res uintptr)

	// Streaming inserts: the engine parses appended data on its own thread (see insert.go).
	streamInsertN       func(conn uintptr, query *byte, queryLen uintptr, format *byte, formatLen uintptr) uintptr
	streamAppend        func(stream uintptr, data *byte, n uintptr) int32
	streamDone          func(stream uintptr) uintptr
	streamCancelInsert  func(stream uintptr)
	streamInsertError   func(stream uintptr) *byte
	destroyInsertStream func(stream uintptr)
}

// loadLib dlopens path and binds every symbol. A missing symbol is an error rather than purego's
// panic, so an incompatible library reports itself instead of crashing the program.
func loadLib(path string) (*lib, error) {
	h, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_GLOBAL)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	l := &lib{path: path}
	syms := []struct {
		fptr any
		name string
	}{
		{&l.setSignalHandlersEnabled, "chdb_set_signal_handlers_enabled"},
		{&l.connect, "chdb_connect"},
		{&l.closeConn, "chdb_close_conn"},
		{&l.queryN, "chdb_query_n"},
		{&l.destroyResult, "chdb_destroy_query_result"},
		{&l.resultBuffer, "chdb_result_buffer"},
		{&l.resultLength, "chdb_result_length"},
		{&l.resultError, "chdb_result_error"},
		{&l.resultElapsed, "chdb_result_elapsed"},
		{&l.resultRowsRead, "chdb_result_rows_read"},
		{&l.resultStorageRowsRead, "chdb_result_storage_rows_read"},
		{&l.resultRowsWritten, "chdb_result_rows_written"},
		{&l.streamQueryN, "chdb_stream_query_n"},
		{&l.streamFetchResult, "chdb_stream_fetch_result"},
		{&l.streamCancelQuery, "chdb_stream_cancel_query"},
		{&l.streamInsertN, "chdb_stream_insert_n"},
		{&l.streamAppend, "chdb_stream_append"},
		{&l.streamDone, "chdb_stream_done"},
		{&l.streamCancelInsert, "chdb_stream_cancel_insert"},
		{&l.streamInsertError, "chdb_stream_insert_error"},
		{&l.destroyInsertStream, "chdb_destroy_insert_stream"},
	}
	for _, s := range syms {
		sym, err := purego.Dlsym(h, s.name)
		if err != nil {
			return nil, fmt.Errorf("load %s: symbol %s: %w (libchdb too old?)", path, s.name, err)
		}
		purego.RegisterFunc(s.fptr, sym)
	}
	return l, nil
}

// cString returns a NUL-terminated copy of s that C may read during one call.
func cString(s string) []byte {
	b := make([]byte, len(s)+1)
	copy(b, s)
	return b
}

// goString copies a NUL-terminated C string; nil gives "".
func goString(p *byte) string {
	if p == nil {
		return ""
	}
	n := 0
	for *(*byte)(unsafe.Add(unsafe.Pointer(p), n)) != 0 {
		n++
	}
	return string(unsafe.Slice(p, n))
}

// rawResult is what one chdb_query_n call produced, copied out of C memory so the C result can
// be destroyed at once.
type rawResult struct {
	out         string // the formatted output, one Go copy
	err         string // chdb_result_error text, "" on success
	elapsed     float64
	rowsRead    uint64
	rowsWritten uint64
}

// query runs one statement on conn and always destroys the C result before returning.
func (l *lib) query(conn uintptr, sql, format string) (rawResult, error) {
	q := cString(sql)
	f := cString(format)
	res := l.queryN(conn, &q[0], uintptr(len(sql)), &f[0], uintptr(len(format)))
	if res == 0 {
		return rawResult{}, fmt.Errorf("chdb_query_n returned NULL")
	}
	return l.readResult(res), nil
}

// readResult copies a result out of C memory and destroys it.
func (l *lib) readResult(res uintptr) rawResult {
	defer l.destroyResult(res)
	r := rawResult{
		err:         goString(l.resultError(res)),
		elapsed:     l.resultElapsed(res),
		rowsRead:    l.resultStorageRowsRead(res),
		rowsWritten: l.resultRowsWritten(res),
	}
	if r.rowsRead == 0 {
		// Queries that read no storage (numbers(), constants) report only result rows.
		r.rowsRead = l.resultRowsRead(res)
	}
	if n := l.resultLength(res); n > 0 {
		if buf := l.resultBuffer(res); buf != nil {
			r.out = string(unsafe.Slice(buf, n))
		}
	}
	return r
}

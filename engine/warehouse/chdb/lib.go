package chdb

import (
	"fmt"
	"runtime"
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

	// The calls below serve protocol front ends (see Conn); their contracts are in chdb.h.
	queryWithParamsN func(conn uintptr, query *byte, queryLen uintptr, format *byte, formatLen uintptr,
		names **byte, nameLens *uintptr, values **byte, valueLens *uintptr, count uintptr) uintptr
	streamInsertWithParamsN func(conn uintptr, query *byte, queryLen uintptr, format *byte, formatLen uintptr,
		names **byte, nameLens *uintptr, values **byte, valueLens *uintptr, count uintptr) uintptr
	streamAppend        func(stream uintptr, data *byte, n uintptr) int32
	streamDone          func(stream uintptr) uintptr
	streamCancelInsert  func(stream uintptr)
	streamInsertError   func(stream uintptr) *byte
	destroyInsertStream func(stream uintptr)
	classifyQueryN      func(conn uintptr, sql *byte, sqlLen uintptr, db *byte, dbLen uintptr, out *queryAnalysis) int32
}

// loadLib dlopens path and binds every symbol. A missing symbol is an error rather than purego's
// panic, so an incompatible library reports itself instead of crashing the program.
func loadLib(path string) (*lib, error) {
	// RTLD_NOW resolves every symbol at load, so a broken library fails here and not in the
	// middle of a query. RTLD_GLOBAL gives libchdb the scope it has when a program links it
	// directly (upstream's Node addon lists it as a dependency), which is how upstream runs it;
	// it is loaded once per process and never unloaded, so sharing its symbols costs nothing.
	// The flags mean the same on Linux and macOS, but their values differ (RTLD_GLOBAL is 0x100
	// in glibc, 0x8 on macOS), which is why they come from purego's per-platform constants.
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
		{&l.queryWithParamsN, "chdb_query_with_params_n"},
		{&l.streamInsertWithParamsN, "chdb_stream_insert_with_params_n"},
		{&l.streamAppend, "chdb_stream_append"},
		{&l.streamDone, "chdb_stream_done"},
		{&l.streamCancelInsert, "chdb_stream_cancel_insert"},
		{&l.streamInsertError, "chdb_stream_insert_error"},
		{&l.destroyInsertStream, "chdb_destroy_insert_stream"},
		{&l.classifyQueryN, "chdb_classify_query_n"},
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

// queryParams runs one statement with query parameters bound by the engine for this call only
// (chdb_query_with_params_n), so they never outlive it as SET param_x would.
func (l *lib) queryParams(conn uintptr, sql, format string, params map[string]string) (rawResult, error) {
	if len(params) == 0 {
		return l.query(conn, sql, format)
	}
	q := cString(sql)
	f := cString(format)
	p := newCParams(params)
	res := l.queryWithParamsN(conn, &q[0], uintptr(len(sql)), &f[0], uintptr(len(format)), p.names(), p.nameLens(),
		p.values(), p.valueLens(), p.count())
	runtime.KeepAlive(p)
	if res == 0 {
		return rawResult{}, fmt.Errorf("chdb_query_with_params_n returned NULL")
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

// cParams holds query parameters as the parallel arrays the *_with_params_n calls take. The
// byte slices live on the Go heap, which does not move; callers keep the value alive across the
// call with runtime.KeepAlive.
type cParams struct {
	bufs      [][]byte
	ptrs      []*byte
	lens      []uintptr
	namesEnd  int
	hasParams bool
}

func newCParams(params map[string]string) *cParams {
	keys := sortedKeys(params)
	p := &cParams{namesEnd: len(keys), hasParams: len(keys) > 0}
	for _, group := range [][]string{keys, valuesOf(params, keys)} {
		for _, s := range group {
			b := cString(s)
			p.bufs = append(p.bufs, b)
			p.ptrs = append(p.ptrs, &b[0])
			p.lens = append(p.lens, uintptr(len(s)))
		}
	}
	return p
}

func valuesOf(m map[string]string, keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out
}

func (p *cParams) names() **byte {
	if !p.hasParams {
		return nil
	}
	return &p.ptrs[0]
}

func (p *cParams) nameLens() *uintptr {
	if !p.hasParams {
		return nil
	}
	return &p.lens[0]
}

func (p *cParams) values() **byte {
	if !p.hasParams {
		return nil
	}
	return &p.ptrs[p.namesEnd]
}

func (p *cParams) valueLens() *uintptr {
	if !p.hasParams {
		return nil
	}
	return &p.lens[p.namesEnd]
}

func (p *cParams) count() uintptr { return uintptr(p.namesEnd) }

// queryAnalysis is chdb_query_analysis_v1.
type queryAnalysis struct {
	structSize     uint32
	statementCount uint32
	flags          uint32
	queryClass     uint32
}

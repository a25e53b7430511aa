package chdb

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// conn is one libchdb connection. ptr is the chdb_connection* that chdb_close_conn takes;
// h is the chdb_connection it points to, which the query functions take.
type conn struct {
	lib *lib
	ptr *uintptr
	h   uintptr
}

// connect opens a connection to dir. libchdb reports why a connect failed only on stderr, so
// the error lists the usual causes.
func connect(l *lib, dir string, extra ...string) (*conn, error) {
	args := append([]string{"clickhouse", "--path=" + dir}, extra...)
	cs := make([][]byte, len(args))
	argv := make([]*byte, len(args)+1) // NULL-terminated like main's argv
	for i, a := range args {
		cs[i] = cString(a)
		argv[i] = &cs[i][0]
	}
	ptr := l.connect(int32(len(args)), &argv[0])
	if ptr == nil {
		return nil, fmt.Errorf("chdb_connect %s failed (see stderr): another process may be using "+
			"the directory, or libchdb already runs another directory in this process", dir)
	}
	h := *ptr
	if h == 0 {
		l.closeConn(ptr)
		return nil, fmt.Errorf("chdb_connect %s returned an empty connection", dir)
	}
	return &conn{lib: l, ptr: ptr, h: h}, nil
}

// exec runs sql with no output, for setup statements; errors are *warehouse.QueryError.
func (c *conn) exec(sql string) (rawResult, error) {
	r, err := c.lib.query(c.h, sql, "Null")
	if err != nil {
		return r, err
	}
	if r.err != "" {
		return r, parseError(r.err, sql, 0)
	}
	return r, nil
}

// flush clears output a failed statement left behind. Measured on libchdb 26.7.3: when a
// statement fails after printing part of its output (a KILL mid-scan, throwIf in row 50 000),
// that output stays in the connection and is prepended to the next statement's result, which
// would corrupt the next Query. The next statement absorbs it, whatever its format, so a cheap
// throwaway statement leaves the connection clean.
func (c *conn) flush() {
	_, _ = c.lib.query(c.h, "SELECT 1", "Null")
}

func (c *conn) close() {
	if c.ptr != nil {
		c.lib.closeConn(c.ptr)
		c.ptr, c.h = nil, 0
	}
}

// settingNameRe admits ClickHouse setting names; they are spliced into SET unquoted.
var settingNameRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.]*$`)

// quoteString makes a ClickHouse string literal. SET accepts strings for numeric and boolean
// settings too, so every value can go through here.
func quoteString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// quoteIdent makes a ClickHouse backquoted identifier.
func quoteIdent(s string) string {
	return "`" + strings.NewReplacer(`\`, `\\`, "`", "\\`").Replace(s) + "`"
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

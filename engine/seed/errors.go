package seed

import "fmt"

// ParseError is a problem at a position in a seed file. Line and Col are 1-based; Col counts
// bytes, as compilers and editors do for file:line:col.
type ParseError struct {
	File string
	Line int
	Col  int
	Msg  string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

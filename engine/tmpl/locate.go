package tmpl

import (
	"errors"
	"regexp"
	"strings"
	"unicode/utf8"
)

// text/template's parse errors carry a line but no column. locate adds the column where the
// message names something findable on the line, so syntax errors read file:line:col like the
// rest of dwm's errors; it leaves the error as it is when it cannot be sure.

var (
	unclosedRe   = regexp.MustCompile(`^unclosed action started at .*:(\d+)$`)
	undefinedRe  = regexp.MustCompile(`^function "([^"]+)" not defined$`)
	unexpectedRe = regexp.MustCompile(`^unexpected "([^"]+)" in `)
	endRe        = regexp.MustCompile(`^unexpected \{\{(end|else)\}\}`)
)

func locate(err error, text string) error {
	var pe *PosError
	if !errors.As(err, &pe) || pe.Col > 0 || pe.Line < 1 {
		return err
	}
	lines := strings.Split(text, "\n")
	at := func(line int, find func(string) int, msg string) error {
		if line < 1 || line > len(lines) {
			return err
		}
		l := lines[line-1]
		i := find(l)
		if i < 0 {
			return err
		}
		return &PosError{File: pe.File, Line: line, Col: utf8.RuneCountInString(l[:i]) + 1, Msg: msg}
	}
	// Actions start at "{{"; searching from the first one skips SQL that merely looks alike.
	inAction := func(token string) func(string) int {
		return func(l string) int {
			start := strings.Index(l, "{{")
			if start < 0 {
				return -1
			}
			if i := strings.Index(l[start:], token); i >= 0 {
				return start + i
			}
			return -1
		}
	}
	if m := unclosedRe.FindStringSubmatch(pe.Msg); m != nil {
		return at(atoi(m[1]), func(l string) int { return strings.LastIndex(l, "{{") }, "unclosed action: no }} after this {{")
	}
	if m := undefinedRe.FindStringSubmatch(pe.Msg); m != nil {
		if pe.Line <= len(lines) && !strings.Contains(lines[pe.Line-1], "{{") {
			// The action began on an earlier line, so the "function" is usually SQL after a
			// forgotten }}.
			word := regexp.MustCompile(`\b` + regexp.QuoteMeta(m[1]) + `\b`)
			return at(pe.Line, func(l string) int {
				if loc := word.FindStringIndex(l); loc != nil {
					return loc[0]
				}
				return -1
			}, pe.Msg+" (inside an action opened on an earlier line: is a }} missing?)")
		}
		return at(pe.Line, inAction(m[1]), pe.Msg)
	}
	if m := unexpectedRe.FindStringSubmatch(pe.Msg); m != nil {
		return at(pe.Line, inAction(m[1]), pe.Msg)
	}
	if m := endRe.FindStringSubmatch(pe.Msg); m != nil {
		re := regexp.MustCompile(`\{\{-?\s*` + m[1] + `\b`)
		return at(pe.Line, func(l string) int {
			if loc := re.FindStringIndex(l); loc != nil {
				return loc[0]
			}
			return -1
		}, pe.Msg)
	}
	return err
}

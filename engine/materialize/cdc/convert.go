package cdc

import (
	"strings"

	"github.com/dwmhq/dwm/engine/manifest"
)

// Conversions from the raw text of a CSV field to a column's type. Rows are loaded as String
// first and converted in SQL, so a value that does not fit its type sends its row to quarantine
// instead of failing the load or, worse, being dropped.

// nullableInner returns X for "Nullable(X)". LowCardinality is only a storage encoding, so
// LowCardinality(X) converts like X (accurateCastOrNull cannot produce it); the INSERT into the
// target column applies the encoding.
func nullableInner(t string) (string, bool) {
	t = strings.TrimSpace(t)
	if strings.HasPrefix(t, "LowCardinality(") && strings.HasSuffix(t, ")") {
		t = strings.TrimSpace(t[len("LowCardinality(") : len(t)-1])
	}
	if strings.HasPrefix(t, "Nullable(") && strings.HasSuffix(t, ")") {
		return strings.TrimSpace(t[len("Nullable(") : len(t)-1]), true
	}
	return t, false
}

// isTime reports types whose accurateCastOrNull is lenient: '2026-13-05' becomes 1970-01-01 and
// '25:00:00' rolls over to the next day, so these values must also survive a round trip.
func isTime(t string) bool {
	return strings.HasPrefix(t, "Date") // Date, Date32, DateTime, DateTime64(...)
}

// typedExpr is the converted value of raw text column rawCol as type t. For non-Nullable
// types other than String it is Nullable (NULL when the text does not convert).
func typedExpr(rawCol, t string) string {
	inner, nullable := nullableInner(t)
	cast := "accurateCastOrNull(" + rawCol + ", " + manifest.QuoteString(inner) + ")"
	switch {
	case inner == "String" && nullable:
		return "if(" + rawCol + " = '', NULL, " + rawCol + ")"
	case inner == "String":
		return rawCol
	case nullable:
		return "if(" + rawCol + " = '', NULL, " + cast + ")"
	default:
		return cast
	}
}

// failExpr is true when rawCol did not convert; typed is the alias of typedExpr's result.
// "" means the conversion cannot fail.
func failExpr(rawCol, typed, t string) string {
	inner, nullable := nullableInner(t)
	if inner == "String" {
		return ""
	}
	bad := typed + " IS NULL"
	if isTime(inner) {
		// DateTime64 prints its fraction in full, so '10:00:00.5' reads back as '10:00:00.500'.
		bad = "(" + bad + " OR NOT startsWith(toString(" + typed + "), " + rawCol + "))"
	}
	if nullable {
		return rawCol + " != '' AND " + bad
	}
	return bad
}

// storedExpr turns a typed column of the classified rows into the target column's type.
func storedExpr(typed, t string) string {
	inner, nullable := nullableInner(t)
	if nullable || inner == "String" {
		return typed
	}
	return "assumeNotNull(" + typed + ")"
}

package generic

import (
	"fmt"
	"strings"
)

// scd2Defaults are the column names dwm's SCD2 materialization writes; arguments override them.
var scd2Defaults = map[string]string{
	"valid_from": "valid_from",
	"valid_to":   "valid_to",
	"is_current": "is_current",
	"version":    "version",
}

// DefaultOpenValidTo is the valid_to of a current version: a far-future sentinel rather than NULL,
// so intervals compare without NULL logic and ORDER BY keys stay non-nullable.
const DefaultOpenValidTo = "toDateTime('2100-01-01 00:00:00')"

type scd2Cols struct{ key, from, to, current, version, open string }

func scd2Args(test string, in Input) (scd2Cols, error) {
	c := scd2Cols{
		key:     cols(in.Args["key"]),
		from:    Col(str(in.Args, "valid_from", scd2Defaults["valid_from"])),
		to:      Col(str(in.Args, "valid_to", scd2Defaults["valid_to"])),
		current: Col(str(in.Args, "is_current", scd2Defaults["is_current"])),
		version: Col(str(in.Args, "version", scd2Defaults["version"])),
		open:    str(in.Args, "open_valid_to", DefaultOpenValidTo),
	}
	if c.key == "" {
		if in.Column == "" {
			return c, fmt.Errorf("%s needs key (the business key columns), or write it under the key column", test)
		}
		c.key = Col(in.Column)
	}
	return c, nil
}

// scd2OneCurrent fails for each key whose count of current versions is not exactly one.
func scd2OneCurrent(in Input) (string, error) {
	c, err := scd2Args("scd2_one_current_per_key", in)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("SELECT %s, countIf(%s) AS n_current\nFROM %s\nGROUP BY %s\nHAVING n_current != 1",
		c.key, c.current, in.Model, c.key), nil
}

// scd2NoOverlaps fails for each version whose interval is empty or does not start exactly where
// the previous version of its key ended (an overlap or a gap).
func scd2NoOverlaps(in Input) (string, error) {
	c, err := scd2Args("scd2_no_overlaps", in)
	if err != nil {
		return "", err
	}
	w := fmt.Sprintf("PARTITION BY %s ORDER BY %s ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW", c.key, c.from)
	return strings.Join([]string{
		"SELECT *",
		"FROM (",
		fmt.Sprintf("  SELECT %s, %s AS dwm_valid_from, %s AS dwm_valid_to,", c.key, c.from, c.to),
		fmt.Sprintf("    row_number() OVER (%s) AS dwm_rn,", w),
		fmt.Sprintf("    lagInFrame(%s) OVER (%s) AS dwm_prev_valid_to", c.to, w),
		"  FROM " + in.Model,
		")",
		"WHERE dwm_valid_to <= dwm_valid_from",
		"   OR (dwm_rn > 1 AND (dwm_prev_valid_to IS NULL OR dwm_prev_valid_to != dwm_valid_from))",
	}, "\n"), nil
}

// scd2VersionSequence fails for each version whose number is not its rank by valid_from within its
// key, or whose is_current flag or open valid_to disagrees with being the last version.
func scd2VersionSequence(in Input) (string, error) {
	c, err := scd2Args("scd2_version_sequence", in)
	if err != nil {
		return "", err
	}
	w := fmt.Sprintf("PARTITION BY %s ORDER BY %s", c.key, c.from)
	return strings.Join([]string{
		"SELECT *",
		"FROM (",
		fmt.Sprintf("  SELECT %s, %s AS dwm_version, toUInt8(%s) AS dwm_is_current, %s = %s AS dwm_is_open,", c.key, c.version, c.current, c.to, c.open),
		fmt.Sprintf("    row_number() OVER (%s ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS dwm_expected_version,", w),
		fmt.Sprintf("    count() OVER (PARTITION BY %s) AS dwm_versions", c.key),
		"  FROM " + in.Model,
		")",
		"WHERE dwm_version != dwm_expected_version",
		"   OR dwm_is_current != (dwm_expected_version = dwm_versions)",
		"   OR dwm_is_open != dwm_is_current",
	}, "\n"), nil
}

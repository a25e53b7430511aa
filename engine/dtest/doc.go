// Package dtest runs dwm's tests: data tests (generic tests declared in YAML and singular tests in
// tests/**/*.sql, each a query returning failing rows) and unit tests (a model run on fixed input
// rows and compared with expected rows). It supplies runner handlers for manifest.Test and
// manifest.UnitTest and the plan reshaping `dwm build` needs; the session runs them.
//
// Custom generic tests are {{ define "name" }} blocks in tests/generic/*.sql. Their dot holds
// .model (the tested relation, already filtered by a `where` config), .column_name (empty for a
// model-level test) and every YAML argument by name:
//
//	{{ define "is_even" }}
//	SELECT * FROM {{ .model }} WHERE {{ .column_name }} % 2 != 0
//	{{ end }}
package dtest

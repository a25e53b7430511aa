// Package generator plays the leagues backend of a Duolingo-like app and writes, week by week, what a
// ClickHouse warehouse would receive from it: CDC rows from PostgreSQL (users, league groups, league
// assignments) and the app's clickstream, with the pipeline faults a real feed carries.
//
// Every random decision is drawn from a PCG stream seeded from (seed, week, user, purpose), so the output
// depends only on the options, never on the number of cores or on how work is split between them. The
// league rules the data obeys are pinned in docs/generator.md; the warehouse tests them in SQL.
package generator

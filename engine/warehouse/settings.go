package warehouse

// BoundedSetSettings keep the memory of a statement that builds a set or a GROUP BY as large as a
// batch (a week's 25M event ids at 1M users) bounded instead of proportional to it:
//   - an IN (subquery) set larger than 100,000 values is not kept a second time, as a sorted
//     copy of its elements, for primary-key analysis (use_index_for_in_with_subqueries_max_values;
//     the default, 0, keeps every set's elements). The small sets dwm prunes partitions and
//     granules with (a batch's dates) stay usable for the index.
//   - a GROUP BY whose state passes 256 MiB is spilled to temporary files and merged
//     (max_bytes_before_external_group_by), as ClickHouse does for any large aggregation.
//
// They go on those statements, not on every connection: a model or an SCD2 batch may filter on
// its sort key with a large IN set and needs the index for it (the relationships test turns the
// index off for its NOT IN for the same cause, generic/builders.go).
//
// Measured on a week's 5M-row clickstream at 200k users (docs/benchmarks-warehouse.md, "Eighth
// session"): the dedupe of a fact load rose 1.06 GB over the process before and 0.4 GB with
// them, the batch `unique` test 0.9-1.1 GB and 0.4 GB, neither slower.
const BoundedSetSettings = "use_index_for_in_with_subqueries_max_values = 100000, max_bytes_before_external_group_by = 268435456"

// Package cdc holds dwm's change-data-capture materializations: staging (land CSV files once),
// scd2 (versioned history from a staging model) and fact (append-only events, deduplicated).
// docs/materializations.md is their user contract.
//
// Like every materialization their plans are pure; what a plan must know beyond the target's
// State (files on disk, ledger rows, batch numbers) is read by Prepare into Input.Prepared. The
// ledger table, one per database, is the commit log: a file or batch counts once its ledger row
// exists, and that row is a single INSERT, so a run killed at any point is repaired by running
// again.
package cdc

import "github.com/dwmhq/dwm/engine/materialize"

// Register adds staging, scd2 and fact to r.
func Register(r *materialize.Registry) error {
	for _, m := range []materialize.Materialization{Staging{}, SCD2{}, Fact{}} {
		if err := r.Register(m); err != nil {
			return err
		}
	}
	return nil
}

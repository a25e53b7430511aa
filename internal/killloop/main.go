// Command killloop measures how often a partition statement of the embedded engine, killed with
// SIGKILL in the middle, leaves rows it had replaced or dropped active after a restart: the
// evidence behind docs/materializations.md ("The sweep") for why dwm re-does its partition swaps.
//
//	go run ./internal/killloop [-mode replace|drop|mutation|forget] [-kills 60] [-rows 100000]
//
// It starts itself as a child that loops over the mode's statements on a fresh warehouse in a
// temporary directory, kills the child after a random 0.1-1 s, opens the warehouse again and
// counts the table's rows: replace (TRUNCATE s, INSERT s, REPLACE PARTITION of r FROM s) must
// leave -rows rows in r, drop (DROP PARTITION of d, INSERT d) 0 or -rows in d; anything else is
// printed, with the totals at the end. mutation (20 INSERTs into d, then a synchronous ALTER
// DELETE of every row) counts how often the next open finds the mutation unfinished: ClickHouse
// then resumes it in the background, and reads see its rows until it is done.
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/dwmhq/dwm/engine/warehouse/chdb"
)

func main() {
	mode := flag.String("mode", "replace", "replace: REPLACE PARTITION of a partition holding rows; drop: DROP PARTITION then INSERT; mutation: an ALTER DELETE of 20 parts; forget: the ledger's delete of a model's rows, then single-row INSERTs")
	kills := flag.Int("kills", 60, "how many times to kill the loop")
	n := flag.Int("rows", 100000, "rows per partition")
	child := flag.String("child", "", "internal: the warehouse directory to loop on")
	flag.Parse()
	var err error
	if *child != "" {
		err = loop(*child, *mode, *n)
	} else {
		err = measure(*mode, *kills, *n)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "killloop:", err)
		os.Exit(1)
	}
}

func open(dir string) (*chdb.Warehouse, error) {
	return chdb.Open(context.Background(), chdb.Options{Path: dir, Database: "killloop", Conns: 1})
}

// loop runs the mode's statements until it is killed.
func loop(dir, mode string, n int) error {
	wh, err := open(dir)
	if err != nil {
		return err
	}
	rows := " SELECT 1, number FROM numbers(" + strconv.Itoa(n) + ")"
	stmts := map[string][]string{
		"replace": {"TRUNCATE TABLE s", "INSERT INTO s" + rows, "ALTER TABLE r REPLACE PARTITION ID '1' FROM s"},
		// The drop first: whatever a kill left, at most the latest INSERT's rows are live.
		"drop": {"ALTER TABLE d DROP PARTITION ID '1'", "INSERT INTO d" + rows},
	}[mode]
	if mode == "forget" {
		// dwm's ledger: a full refresh deletes a model's rows (p = 1) with a synchronous
		// mutation, then commits its files one single-row INSERT each, beside another model's.
		stmts = []string{"ALTER TABLE d DELETE WHERE p = 1 SETTINGS mutations_sync = 2"}
		for i := 0; i < 5; i++ {
			stmts = append(stmts, "INSERT INTO d VALUES (1, "+strconv.Itoa(i)+")", "INSERT INTO d VALUES (2, "+strconv.Itoa(i)+")")
		}
	}
	if mode == "mutation" {
		// Twenty parts, then a synchronous mutation over all of them.
		for i := 0; i < 20; i++ {
			stmts = append(stmts, "INSERT INTO d"+rows)
		}
		stmts = append(stmts, "ALTER TABLE d DELETE WHERE 1 SETTINGS mutations_sync = 2")
	}
	for {
		for _, s := range stmts {
			if _, err := wh.Exec(context.Background(), s); err != nil {
				return fmt.Errorf("%s: %w", s, err)
			}
		}
	}
}

// measure sets up a warehouse, then kills a child looping on it kills times.
func measure(mode string, kills, n int) error {
	if mode != "replace" && mode != "drop" && mode != "mutation" && mode != "forget" {
		return fmt.Errorf("-mode %q: want replace, drop, mutation or forget", mode)
	}
	dir, err := os.MkdirTemp("", "killloop-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	rows := " SELECT 1, number FROM numbers(" + strconv.Itoa(n) + ")"
	table := map[string]string{"replace": "r", "drop": "d", "mutation": "d", "forget": "d"}[mode]
	if err := run(dir, "CREATE TABLE r (p UInt8, x UInt64) ENGINE = MergeTree PARTITION BY p ORDER BY x",
		"CREATE TABLE s AS r", "CREATE TABLE d AS r", "INSERT INTO r"+rows); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	counts := map[string]int{}
	for i := 0; i < kills; i++ {
		cmd := exec.Command(self, "-mode", mode, "-rows", strconv.Itoa(n), "-child", dir)
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			return err
		}
		time.Sleep(time.Duration(100+rand.IntN(900)) * time.Millisecond) // the kill moment
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		got, pending, err := count(dir, table)
		if err != nil {
			return err
		}
		if mode == "forget" {
			// At most the latest generation of p = 1's rows: more is a deleted generation back.
			got, err = countWhere(dir, "SELECT count() FROM d WHERE p = 1")
			if err != nil {
				return err
			}
			counts[got]++
			if n, _ := strconv.Atoi(got); n > 5 {
				fmt.Printf("kill %d: %s rows of p = 1, an earlier generation is back\n", i+1, got)
			}
			continue
		}
		if mode == "mutation" {
			counts["unfinished mutation at the next open: "+map[bool]string{true: "yes", false: "no"}[pending != "0"]]++
			continue
		}
		counts[got]++
		if ok := got == strconv.Itoa(n) || mode == "drop" && got == "0"; !ok {
			fmt.Printf("kill %d: %s has %s rows\n", i+1, table, got)
		}
	}
	fmt.Printf("%s, %d kills: after the restart -> kills: %v\n", mode, kills, counts)
	return nil
}

// countWhere opens the warehouse, lets the leftover mutations finish (as dwm's Recover does) and
// runs the count query.
func countWhere(dir, q string) (string, error) {
	wh, err := open(dir)
	if err != nil {
		return "", err
	}
	defer wh.Close()
	if _, err := wh.FinishMutations(context.Background()); err != nil {
		return "", err
	}
	res, err := wh.Query(context.Background(), q)
	if err != nil {
		return "", err
	}
	return res.String(0, 0), nil
}

func run(dir string, stmts ...string) error {
	wh, err := open(dir)
	if err != nil {
		return err
	}
	defer wh.Close()
	for _, s := range stmts {
		if _, err := wh.Exec(context.Background(), s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return nil
}

// count opens the warehouse and reads, first thing, the table's rows and the mutations not
// finished (the leftovers ClickHouse resumes in the background when it loads the table).
func count(dir, table string) (rows, pending string, err error) {
	wh, err := open(dir)
	if err != nil {
		return "", "", err
	}
	defer wh.Close()
	res, err := wh.Query(context.Background(), "SELECT (SELECT count() FROM "+table+"), (SELECT count() FROM system.mutations WHERE NOT is_done)")
	if err != nil {
		return "", "", err
	}
	// Each kill starts from a finished state: a leftover resumed now would otherwise be
	// interrupted again by the close and counted again at the next open.
	if _, err := wh.FinishMutations(context.Background()); err != nil {
		return "", "", err
	}
	return res.String(0, 0), res.String(0, 1), nil
}

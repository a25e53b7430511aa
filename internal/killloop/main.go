// Command killloop measures how often a partition statement of the embedded engine, killed with
// SIGKILL in the middle, leaves rows it had replaced or dropped active after a restart: the
// evidence behind docs/materializations.md ("The sweep") for why dwm re-does its partition swaps.
//
//	go run ./internal/killloop [-mode replace|drop] [-kills 60] [-rows 100000]
//
// It starts itself as a child that loops over the mode's statements on a fresh warehouse in a
// temporary directory, kills the child after a random 0.1-1 s, opens the warehouse again and
// counts the table's rows: replace (TRUNCATE s, INSERT s, REPLACE PARTITION of r FROM s) must
// leave -rows rows in r, drop (DROP PARTITION of d, INSERT d) 0 or -rows in d. Anything else is
// printed, with the totals at the end.
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
	mode := flag.String("mode", "replace", "replace: REPLACE PARTITION of a partition holding rows; drop: INSERT then DROP PARTITION")
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
	if mode != "replace" && mode != "drop" {
		return fmt.Errorf("-mode %q: want replace or drop", mode)
	}
	dir, err := os.MkdirTemp("", "killloop-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	rows := " SELECT 1, number FROM numbers(" + strconv.Itoa(n) + ")"
	table := map[string]string{"replace": "r", "drop": "d"}[mode]
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
		got, err := count(dir, table)
		if err != nil {
			return err
		}
		counts[got]++
		if ok := got == strconv.Itoa(n) || mode == "drop" && got == "0"; !ok {
			fmt.Printf("kill %d: %s has %s rows\n", i+1, table, got)
		}
	}
	fmt.Printf("%s, %d kills: rows of %s after the restart -> kills: %v\n", mode, kills, table, counts)
	return nil
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

func count(dir, table string) (string, error) {
	wh, err := open(dir)
	if err != nil {
		return "", err
	}
	defer wh.Close()
	res, err := wh.Query(context.Background(), "SELECT count() FROM "+table)
	if err != nil {
		return "", err
	}
	return res.String(0, 0), nil
}

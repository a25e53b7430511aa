// Command replay runs SQL statements against an embedded warehouse directory one after the
// other, as many rounds as asked, and prints each statement's time and, at the end, the
// process's peak resident memory. It is the diagnostic behind the replayed numbers of
// docs/benchmarks-warehouse.md: statements copied from a kept benchmark's OUT/statements.tsv (or
// variants of them) are timed alone, on the warehouse the run left, where `dwm show --inline`
// runs only queries and one at a time.
//
//	go run ./internal/replay OUT/project/.dwm/dev statements.sql [rounds]
//
// statements.sql holds statements separated by a line ";;". The database is duolingo unless
// DWM_REPLAY_DATABASE names another. A failing statement is printed with its error and the
// replay goes on, so that one variant's error does not hide the others' times.
package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/dwmhq/dwm/engine/warehouse/chdb"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "replay:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) < 2 || len(args) > 3 {
		return fmt.Errorf("usage: replay WAREHOUSE_DIR STATEMENTS_FILE [ROUNDS]")
	}
	rounds := 1
	if len(args) == 3 {
		n, err := strconv.Atoi(args[2])
		if err != nil || n < 1 {
			return fmt.Errorf("rounds %q: want a positive number", args[2])
		}
		rounds = n
	}
	text, err := os.ReadFile(args[1])
	if err != nil {
		return err
	}
	stmts := split(string(text))
	db := os.Getenv("DWM_REPLAY_DATABASE")
	if db == "" {
		db = "duolingo"
	}
	ctx := context.Background()
	wh, err := chdb.Open(ctx, chdb.Options{Path: args[0], Database: db, Conns: 1})
	if err != nil {
		return err
	}
	defer wh.Close()
	for r := 1; r <= rounds; r++ {
		for i, s := range stmts {
			start := time.Now()
			_, err := wh.Exec(ctx, s)
			fmt.Printf("round %d  #%d  %8.3f s  %s", r, i+1, time.Since(start).Seconds(), firstLine(s, 100))
			if err != nil {
				fmt.Printf("  ERROR: %v", err)
			}
			fmt.Println()
		}
	}
	fmt.Println(peakRSS())
	return nil
}

// split returns the non-empty statements of text, separated by lines holding only ";;".
func split(text string) []string {
	var out []string
	for _, s := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n;;\n") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func firstLine(s string, max int) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > max {
		s = s[:max] + "..."
	}
	return s
}

// peakRSS is the VmHWM line of /proc/self/status (Linux only; elsewhere it says so).
func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "peak RSS unknown: " + err.Error()
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			return "peak RSS (VmHWM): " + strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:"))
		}
	}
	return "peak RSS unknown"
}

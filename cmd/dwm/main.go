// Command dwm is a declarative SQL-model framework for ClickHouse. The program is a thin shell over
// package cli so that tests can run the real command line in-process.
package main

import (
	"os"

	"github.com/dwmhq/dwm/cmd/dwm/cli"
)

func main() {
	stop := startProfiles()
	if !cli.LongLived(os.Args[1:]) {
		tuneGC() // a long-lived server keeps Go's default pacing
	}
	code := cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Command borealis is the Borealis client: Aurora's command-line grammar for
// jobs, tasks and updates run on Temporal and Docker (docs/semantics.md §6).
package main

import (
	"os"

	"github.com/borealis-dev/borealis/starter/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

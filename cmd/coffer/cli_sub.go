package main

import (
	"strings"

	"github.com/spf13/cobra"

	"coffer/internal/adminclient"
)

// sub is one row of a command group's table (list, show, create, delete,
// ...): what the subcommands share is done here once. The positional
// arguments are the words of use after the first ("show NAME|ID" takes
// one, named NAME|ID); check validates flags and arguments before any
// connection, so usage errors need no login; then a client of the
// management API, the --tenant's uuid when tenant is set, and run, which
// makes the calls and prints the answer (c.out, c.finish, printRows).
type sub struct {
	use, short string
	aliases    []string
	tenant     bool                     // resolve --tenant for run
	wait       bool                     // the command starts a job: --no-wait
	flags      func(cmd *cobra.Command) // adds the command's own flags
	check      func(a []string) error   // before the client; nil: none
	run        func(cl *adminclient.Client, svm string, a []string) error
}

// subs builds the cobra commands of a table of subcommands.
func (c *cli) subs(table ...sub) []*cobra.Command {
	var out []*cobra.Command
	for _, s := range table {
		words := strings.Fields(s.use)
		cmd := &cobra.Command{Use: s.use, Short: s.short, Aliases: s.aliases, Args: args(len(words)-1, words[1:]...),
			RunE: func(cmd *cobra.Command, a []string) error {
				if s.check != nil {
					if err := s.check(a); err != nil {
						return err
					}
				}
				cl, err := c.client()
				if err != nil {
					return err
				}
				var svm string
				if s.tenant {
					if svm, err = c.tenantUUID(cl); err != nil {
						return err
					}
				}
				return s.run(cl, svm, a)
			}}
		if s.wait {
			c.waitFlag(cmd)
		}
		if s.flags != nil {
			s.flags(cmd)
		}
		out = append(out, cmd)
	}
	return out
}

// printRows prints items as JSON (--json) or as a table of header and
// row(item) for each.
func printRows[T any](c *cli, items []T, header []string, row func(T) []string) error {
	return c.out(items, func() {
		var rows [][]string
		for _, it := range items {
			rows = append(rows, row(it))
		}
		c.table(header, rows)
	})
}

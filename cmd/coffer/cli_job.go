package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"coffer/internal/adminclient"
)

// waitJob waits for a job, drawing a progress bar on a terminal (one line
// per change of state otherwise), on stderr.
func (c *cli) waitJob(cl *adminclient.Client, id string, timeout time.Duration) (adminclient.Job, error) {
	ctx := c.ctx
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	tty := c.isTerminal(c.stderr)
	last := ""
	drawn := false
	j, err := cl.WaitJob(ctx, id, 300*time.Millisecond, func(j adminclient.Job) {
		line := progressLine(j)
		if tty {
			fmt.Fprintf(c.stderr, "\r\033[K%s", line)
			drawn = true
		} else if line != last {
			fmt.Fprintln(c.stderr, line)
		}
		last = line
	})
	if drawn {
		fmt.Fprintln(c.stderr)
	}
	if err == context.DeadlineExceeded {
		return j, fmt.Errorf("job %s still %s after %v", id, j.State, timeout)
	}
	return j, err
}

// progressLine renders a job's progress: [#####.....] 50% Running job 3 (Install Software).
func progressLine(j adminclient.Job) string {
	const width = 30
	n := j.Percent * width / 100
	what := j.Type
	if what == "" {
		what = j.Description
	}
	s := fmt.Sprintf("[%s%s] %3d%% %-9s job %s", strings.Repeat("#", n), strings.Repeat(".", width-n), j.Percent, j.State, j.ID)
	if what != "" {
		s += " (" + what + ")"
	}
	if j.Done && j.Message != "" && j.Message != "success" {
		s += ": " + j.Message
	}
	return s
}

func (c *cli) jobCmd() *cobra.Command {
	var dialect string
	var timeout time.Duration
	var d string // by list's check, for its run
	return group("job", "jobs of both dialects", c.subs(
		sub{use: "list", short: "list recent jobs (ONTAP uuids, every tenant; --dialect commvault: numbers, the default tenant)",
			flags: func(cmd *cobra.Command) {
				cmd.Flags().StringVar(&dialect, "dialect", "ontap", "whose view: ontap (uuids, every tenant's jobs) or commvault (numbers with progress, the default tenant's jobs)")
			},
			check: func([]string) error {
				d = adminclient.ONTAP
				switch strings.ToLower(dialect) {
				case "commvault":
					d = adminclient.Commvault
				case "ontap", "":
				default:
					return usageErr("--dialect: ontap or commvault")
				}
				return nil
			},
			run: func(cl *adminclient.Client, _ string, _ []string) error {
				js, err := cl.Jobs(c.ctx, d)
				if err != nil {
					return err
				}
				return printRows(c, js, []string{"ID", "STATE", "PROGRESS", "TYPE", "MESSAGE"}, func(j adminclient.Job) []string {
					what := j.Type
					if what == "" {
						what = j.Description
					}
					msg := j.Message
					if msg == "success" {
						msg = ""
					}
					return []string{j.ID, j.State, fmt.Sprintf("%d%%", j.Percent), what, msg}
				})
			}},
		sub{use: "show ID", short: "show a job (a number: Commvault; a uuid: ONTAP)",
			run: func(cl *adminclient.Client, _ string, a []string) error {
				j, err := cl.Job(c.ctx, a[0])
				if err != nil {
					return err
				}
				return c.out(j, func() {
					c.fields("ID", j.ID, "Dialect", j.Dialect, "State", j.State, "Progress", fmt.Sprintf("%d%%", j.Percent),
						"Type", orDash(j.Type), "Description", orDash(j.Description), "Message", orDash(j.Message))
				})
			}},
		sub{use: "wait ID", short: "wait for a job to end, with a progress bar; fails if the job fails",
			flags: func(cmd *cobra.Command) {
				cmd.Flags().DurationVar(&timeout, "timeout", 0, "give up after this long (e.g. 10m; default never)")
			},
			run: func(cl *adminclient.Client, _ string, a []string) error {
				j, err := c.waitJob(cl, a[0], timeout)
				if err != nil {
					if c.json && j.ID != "" {
						c.printJSON(j)
					}
					return err
				}
				return c.out(j, func() { fmt.Fprintf(c.stdout, "Job %s %s.\n", j.ID, strings.ToLower(j.State)) })
			}},
	)...)
}

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"coffer/internal/adminclient"
)

func names(rs []adminclient.Ref) string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Name)
	}
	return orDash(strings.Join(out, ","))
}

func (c *cli) groupCmd() *cobra.Command {
	var comment string
	var users, policies []string
	return c.tenantFlag(group("group", "a tenant's S3 groups", c.subs(
		sub{use: "list", short: "list a tenant's groups", tenant: true,
			run: func(cl *adminclient.Client, svm string, _ []string) error {
				gs, err := cl.Groups(c.ctx, svm)
				if err != nil {
					return err
				}
				return printRows(c, gs, []string{"ID", "NAME", "USERS", "POLICIES", "COMMENT"}, func(g adminclient.Group) []string {
					return []string{i64(g.ID), g.Name, names(g.Users), names(g.Policies), g.Comment}
				})
			}},
		sub{use: "show NAME", short: "show a group", tenant: true,
			run: func(cl *adminclient.Client, svm string, a []string) error {
				g, err := cl.Group(c.ctx, svm, a[0])
				if err != nil {
					return err
				}
				return c.out(g, func() {
					c.fields("ID", i64(g.ID), "Name", g.Name, "Users", names(g.Users), "Policies", names(g.Policies), "Comment", g.Comment)
				})
			}},
		sub{use: "create NAME", short: "create a group of users with policies", tenant: true,
			flags: func(cmd *cobra.Command) {
				cmd.Flags().StringVar(&comment, "comment", "", "comment")
				cmd.Flags().StringSliceVar(&users, "user", nil, "a member (repeat, or comma-separated)")
				cmd.Flags().StringSliceVar(&policies, "policy", nil, "a policy attached to the group (repeat, or comma-separated)")
			},
			run: func(cl *adminclient.Client, svm string, a []string) error {
				if err := cl.CreateGroup(c.ctx, svm, a[0], comment, users, policies); err != nil {
					return err
				}
				g, err := cl.Group(c.ctx, svm, a[0])
				if err != nil {
					return err
				}
				return c.out(g, func() { c.notef("Created group %s (id %d).", g.Name, g.ID) })
			}},
		sub{use: "delete NAME", short: "delete a group", tenant: true,
			run: func(cl *adminclient.Client, svm string, a []string) error {
				g, err := cl.Group(c.ctx, svm, a[0])
				if err != nil {
					return err
				}
				if err := cl.DeleteGroup(c.ctx, svm, g.ID); err != nil {
					return err
				}
				return c.out(map[string]any{"deleted": g.Name}, func() { c.notef("Deleted group %s.", g.Name) })
			}},
	)...))
}

// readStatements reads ONTAP statements from a file ("-" is stdin): a JSON
// array of statements, or an object with "statements".
func (c *cli) readStatements(path string) ([]adminclient.Statement, error) {
	var b []byte
	var err error
	if path == "-" {
		b, err = readAll(c.stdin)
	} else {
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, err
	}
	var st []adminclient.Statement
	if err := json.Unmarshal(b, &st); err == nil {
		return st, nil
	}
	var obj struct {
		Statements []adminclient.Statement `json:"statements"`
	}
	if err := json.Unmarshal(b, &obj); err != nil || obj.Statements == nil {
		return nil, usageErr("%s: want a JSON array of ONTAP policy statements, or {\"statements\": [...]}", path)
	}
	return obj.Statements, nil
}

func (c *cli) policyCmd() *cobra.Command {
	var comment, file, effect string
	var actions, resources []string
	var created adminclient.Policy // by check, for run
	return c.tenantFlag(group("policy", "a tenant's S3 policies (ONTAP statements)", c.subs(
		sub{use: "list", short: "list a tenant's policies", tenant: true,
			run: func(cl *adminclient.Client, svm string, _ []string) error {
				ps, err := cl.Policies(c.ctx, svm)
				if err != nil {
					return err
				}
				return printRows(c, ps, []string{"NAME", "STATEMENTS", "", "COMMENT"}, func(p adminclient.Policy) []string {
					ro := ""
					if p.ReadOnly {
						ro = "built-in"
					}
					return []string{p.Name, fmt.Sprint(len(p.Statements)), ro, p.Comment}
				})
			}},
		sub{use: "show NAME", short: "show a policy and its statements", tenant: true,
			run: func(cl *adminclient.Client, svm string, a []string) error {
				p, err := cl.Policy(c.ctx, svm, a[0])
				if err != nil {
					return err
				}
				return c.out(p, func() {
					c.fields("Name", p.Name, "Comment", p.Comment)
					var rows [][]string
					for _, s := range p.Statements {
						rows = append(rows, []string{orDash(s.Sid), s.Effect, strings.Join(s.Actions, ","), strings.Join(s.Resources, ",")})
					}
					c.table([]string{"SID", "EFFECT", "ACTIONS", "RESOURCES"}, rows)
				})
			}},
		sub{use: "create NAME", short: "create a policy from --file, or one statement from --effect, --action and --resource", tenant: true,
			flags: func(cmd *cobra.Command) {
				f := cmd.Flags()
				f.StringVar(&comment, "comment", "", "comment")
				f.StringVar(&file, "file", "", "JSON file of ONTAP statements ([{\"effect\",\"actions\",\"resources\"}]); - reads stdin")
				f.StringVar(&effect, "effect", "allow", "allow or deny (with --action)")
				f.StringSliceVar(&actions, "action", nil, "an S3 action such as GetObject, or * (repeat, or comma-separated)")
				f.StringSliceVar(&resources, "resource", nil, "a resource: bucket, bucket/prefix*, or * (repeat, or comma-separated)")
			},
			check: func(a []string) error {
				created = adminclient.Policy{Name: a[0], Comment: comment}
				switch {
				case file != "" && len(actions) > 0:
					return usageErr("give --file or --action/--resource, not both")
				case file != "":
					st, err := c.readStatements(file)
					if err != nil {
						return err
					}
					created.Statements = st
				case len(actions) > 0 && len(resources) > 0:
					created.Statements = []adminclient.Statement{{Effect: effect, Actions: actions, Resources: resources}}
				default:
					return usageErr("give --file, or --action and --resource")
				}
				return nil
			},
			run: func(cl *adminclient.Client, svm string, a []string) error {
				if err := cl.CreatePolicy(c.ctx, svm, created); err != nil {
					return err
				}
				return c.out(created, func() { c.notef("Created policy %s.", created.Name) })
			}},
		sub{use: "delete NAME", short: "delete a policy", tenant: true,
			run: func(cl *adminclient.Client, svm string, a []string) error {
				if err := cl.DeletePolicy(c.ctx, svm, a[0]); err != nil {
					return err
				}
				return c.out(map[string]any{"deleted": a[0]}, func() { c.notef("Deleted policy %s.", a[0]) })
			}},
	)...))
}

package main

import (
	"os"

	"github.com/spf13/cobra"

	"coffer/internal/adminclient"
)

// group returns a command grouping subcommands.
func group(use, short string, subs ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{Use: use, Short: short, Args: args(0),
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() }}
	cmd.AddCommand(subs...)
	return cmd
}

// tenantFlag adds --tenant to a command group.
func (c *cli) tenantFlag(cmd *cobra.Command) *cobra.Command {
	def := os.Getenv("COFFER_TENANT")
	if def == "" {
		def = "default"
	}
	cmd.PersistentFlags().StringVarP(&c.tenant, "tenant", "t", def, "tenant (SVM) name (env COFFER_TENANT)")
	return cmd
}

// waitFlag adds --no-wait to a command that starts a job.
func (c *cli) waitFlag(cmd *cobra.Command) *cobra.Command {
	cmd.Flags().BoolVar(&c.noWait, "no-wait", false, "print the job's id and return without waiting for it (see coffer job wait)")
	return cmd
}

// finish waits for a change's job (unless --no-wait) and reports it.
func (c *cli) finish(cl *adminclient.Client, ch adminclient.Change, done string) error {
	if c.noWait && !ch.Done {
		return c.out(map[string]any{"job": ch.JobUUID, "done": false}, func() {
			c.notef("Started job %s (coffer job wait %s).", ch.JobUUID, ch.JobUUID)
		})
	}
	if !ch.Done && ch.JobUUID != "" {
		if _, err := c.waitJob(cl, ch.JobUUID, 0); err != nil {
			return err
		}
	}
	return c.out(map[string]any{"job": ch.JobUUID, "done": true}, func() { c.notef("%s", done) })
}

func (c *cli) tenantCmd() *cobra.Command {
	var comment, s3Name string
	var noS3 bool
	return group("tenant", "tenants (ONTAP SVMs) and their S3 servers", c.subs(
		sub{use: "list", short: "list tenants",
			run: func(cl *adminclient.Client, _ string, _ []string) error {
				ts, err := cl.Tenants(c.ctx)
				if err != nil {
					return err
				}
				return printRows(c, ts, []string{"NAME", "UUID", "STATE", "S3 SERVER", "COMMENT"}, func(t adminclient.Tenant) []string {
					s3 := "-"
					if t.S3 != nil && t.S3.Name != "" {
						s3 = t.S3.Name
						if !t.S3.Enabled {
							s3 += " (disabled)"
						}
					}
					return []string{t.Name, t.UUID, orDash(t.State), s3, t.Comment}
				})
			}},
		sub{use: "show NAME", short: "show a tenant",
			run: func(cl *adminclient.Client, _ string, a []string) error {
				t, err := cl.Tenant(c.ctx, a[0])
				if err != nil {
					return err
				}
				return c.out(t, func() {
					s3 := "none"
					if t.S3 != nil && t.S3.Name != "" {
						s3 = t.S3.Name
					}
					c.fields("Name", t.Name, "UUID", t.UUID, "State", orDash(t.State), "S3 server", s3, "Comment", t.Comment)
				})
			}},
		sub{use: "create NAME", short: "create a tenant (an SVM) and its S3 server; prints the root user's keys once",
			flags: func(cmd *cobra.Command) {
				cmd.Flags().StringVar(&comment, "comment", "", "comment")
				cmd.Flags().StringVar(&s3Name, "s3-name", "", "the S3 server's name (default the tenant's)")
				cmd.Flags().BoolVar(&noS3, "no-s3", false, "create no S3 server")
			},
			run: func(cl *adminclient.Client, _ string, a []string) error {
				ch, err := cl.CreateTenant(c.ctx, a[0], comment, true)
				if err != nil {
					return err
				}
				if !ch.Done {
					if _, err := c.waitJob(cl, ch.JobUUID, 0); err != nil {
						return err
					}
				}
				t, err := cl.Tenant(c.ctx, a[0])
				if err != nil {
					return err
				}
				if noS3 {
					return c.out(t, func() { c.notef("Created tenant %s (%s), without an S3 server.", t.Name, t.UUID) })
				}
				if s3Name == "" {
					s3Name = a[0]
					if len(s3Name) < 3 {
						s3Name = "s3-" + s3Name
					}
				}
				users, err := cl.CreateS3Server(c.ctx, t.UUID, s3Name, comment)
				if err != nil {
					return err
				}
				out := map[string]any{"uuid": t.UUID, "name": t.Name, "s3_server": s3Name, "users": users}
				return c.out(out, func() {
					c.fields("Tenant", t.Name, "UUID", t.UUID, "S3 server", s3Name)
					for _, u := range users {
						c.fields("User", u.Name, "Access key", u.AccessKey, "Secret key", u.SecretKey)
					}
					c.notef("The secret key is shown only now: store it.")
				})
			}},
		sub{use: "delete NAME", short: "delete a tenant with its S3 server, users, groups, policies and empty buckets", wait: true,
			run: func(cl *adminclient.Client, _ string, a []string) error {
				t, err := cl.Tenant(c.ctx, a[0])
				if err != nil {
					return err
				}
				if has, err := cl.HasS3Server(c.ctx, t.UUID); err != nil {
					return err
				} else if has {
					ch, err := cl.DeleteS3Server(c.ctx, t.UUID, true)
					if err != nil {
						return err
					}
					if !ch.Done {
						if _, err := c.waitJob(cl, ch.JobUUID, 0); err != nil {
							return err
						}
					}
				}
				ch, err := cl.DeleteTenant(c.ctx, t.UUID, !c.noWait)
				if err != nil {
					return err
				}
				return c.finish(cl, ch, "Deleted tenant "+t.Name+".")
			}},
	)...)
}

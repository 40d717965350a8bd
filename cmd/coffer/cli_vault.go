package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"coffer/internal/adminclient"
)

func (c *cli) planCmd() *cobra.Command {
	var days int
	var pool string
	return group("plan", "Commvault plans (retention of a vault's versions)", c.subs(
		sub{use: "list", short: "list plans",
			run: func(cl *adminclient.Client, _ string, _ []string) error {
				ps, err := cl.Plans(c.ctx)
				if err != nil {
					return err
				}
				return printRows(c, ps, []string{"ID", "NAME", "RETENTION DAYS", "STORAGE POOL", "VAULTS"}, func(p adminclient.Plan) []string {
					return []string{i64(p.Plan.ID), p.Plan.Name, strconv.Itoa(p.RetentionPeriodDays), planPool(p), strconv.Itoa(p.AssociatedEntities)}
				})
			}},
		sub{use: "show NAME|ID", short: "show a plan",
			run: func(cl *adminclient.Client, _ string, a []string) error {
				p, err := cl.PlanByName(c.ctx, a[0])
				if err != nil {
					return err
				}
				return c.out(p, func() {
					c.fields("ID", i64(p.Plan.ID), "Name", p.Plan.Name, "Retention days", strconv.Itoa(p.RetentionPeriodDays),
						"Storage pool", planPool(p), "Vaults", strconv.Itoa(p.AssociatedEntities), "Status", orDash(p.Status))
				})
			}},
		sub{use: "create NAME", short: "create a server plan with a retention",
			flags: func(cmd *cobra.Command) {
				cmd.Flags().IntVar(&days, "retention-days", 30, "days that overwritten and deleted versions are kept")
				cmd.Flags().StringVar(&pool, "storage-pool", "", "storage pool name (default the server's)")
			},
			run: func(cl *adminclient.Client, _ string, a []string) error {
				id, err := cl.CreatePlan(c.ctx, a[0], days, pool)
				if err != nil {
					return err
				}
				return c.out(map[string]any{"id": id, "name": a[0], "retentionPeriodDays": days}, func() {
					c.notef("Created plan %s (id %d).", a[0], id)
				})
			}},
		sub{use: "delete NAME|ID", short: "delete a plan no vault uses",
			run: func(cl *adminclient.Client, _ string, a []string) error {
				p, err := cl.PlanByName(c.ctx, a[0])
				if err != nil {
					return err
				}
				if err := cl.DeletePlan(c.ctx, p.Plan.ID); err != nil {
					return err
				}
				return c.out(map[string]any{"deleted": p.Plan.Name}, func() { c.notef("Deleted plan %s.", p.Plan.Name) })
			}},
	)...)
}

func planPool(p adminclient.Plan) string {
	if len(p.BackupDestinations) > 0 {
		return orDash(p.BackupDestinations[0].StoragePool.Name)
	}
	return "-"
}

func vaultOwners(v adminclient.Vault) string {
	var out []string
	for _, o := range v.Owners {
		out = append(out, o.UserName)
	}
	for _, g := range v.UserGroups {
		out = append(out, "group/"+g.UserGroupName)
	}
	return orDash(strings.Join(out, ","))
}

func vaultEndpoints(v adminclient.Vault) string {
	var out []string
	for _, e := range v.Endpoints {
		s := e.ClientName
		if e.Status != "" {
			s += " (" + e.Status + ")"
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return "every node"
	}
	return strings.Join(out, ",")
}

func (c *cli) vaultCmd() *cobra.Command {
	var in adminclient.VaultInput
	var force bool
	return group("vault", "Commvault S3 vaults", c.subs(
		sub{use: "list", short: "list vaults",
			run: func(cl *adminclient.Client, _ string, _ []string) error {
				vs, err := cl.Vaults(c.ctx)
				if err != nil {
					return err
				}
				return printRows(c, vs, []string{"ID", "NAME", "PLAN", "OWNERS", "SIZE", "OBJECTS", "ENDPOINTS"}, func(v adminclient.Vault) []string {
					return []string{i64(v.ClientID), v.Name, v.Plan.PlanName, vaultOwners(v), humanBytes(v.SizeInBytes), i64(v.NumberOfObjects), vaultEndpoints(v)}
				})
			}},
		sub{use: "show NAME|ID", short: "show a vault",
			run: func(cl *adminclient.Client, _ string, a []string) error {
				v, err := cl.VaultByName(c.ctx, a[0])
				if err != nil {
					return err
				}
				return c.out(v, func() {
					c.fields("ID", i64(v.ClientID), "Name", v.Name, "Plan", fmt.Sprintf("%s (%d days)", v.Plan.PlanName, v.RetentionPeriodDays),
						"Versioning", orDash(v.Versioning), "Owners", vaultOwners(v), "Endpoints", vaultEndpoints(v),
						"Size", humanBytes(v.SizeInBytes), "Objects", i64(v.NumberOfObjects))
				})
			}},
		sub{use: "create NAME", short: "create a vault with a plan, owners and endpoints", wait: true,
			flags: func(cmd *cobra.Command) {
				f := cmd.Flags()
				f.StringVar(&in.Plan, "plan", "", "plan name or id (required)")
				f.StringSliceVar(&in.Owners, "owner", nil, "an owning user (repeat, or comma-separated)")
				f.StringSliceVar(&in.Groups, "group", nil, "a user group holding the vault's role (repeat, or comma-separated)")
				f.StringSliceVar(&in.Endpoints, "endpoint", nil, "a node serving the vault (repeat; default every node)")
				f.BoolVar(&in.RotateKeys, "rotate-keys", false, "issue new S3 keys to the owners that have some")
			},
			check: func(a []string) error {
				if in.Plan == "" {
					return usageErr("--plan is required")
				}
				in.Name = a[0]
				return nil
			},
			run: func(cl *adminclient.Client, _ string, a []string) error {
				r, err := cl.CreateVault(c.ctx, in)
				if err != nil {
					return err
				}
				if r.EndpointJob != 0 && !c.noWait {
					if _, err := c.waitJob(cl, strconv.FormatInt(r.EndpointJob, 10), 0); err != nil {
						return err
					}
				}
				return c.out(r, func() {
					c.notef("Created vault %s (id %d).", r.Name, r.ClientID)
					if r.EndpointJob != 0 && c.noWait {
						c.notef("Endpoint job %d (coffer job wait %d).", r.EndpointJob, r.EndpointJob)
					}
					if r.Warning != "" {
						c.notef("%s", r.Warning)
					}
				})
			}},
		sub{use: "delete NAME|ID", short: "delete an empty vault (--force: with its objects); a job", wait: true,
			flags: func(cmd *cobra.Command) {
				cmd.Flags().BoolVar(&force, "force", false, "delete the vault's objects too")
			},
			run: func(cl *adminclient.Client, _ string, a []string) error {
				v, err := cl.VaultByName(c.ctx, a[0])
				if err != nil {
					return err
				}
				job, err := cl.DeleteVault(c.ctx, v.ClientID, force)
				if err != nil {
					return err
				}
				id := strconv.FormatInt(job, 10)
				if c.noWait || job == 0 {
					return c.out(map[string]any{"job": job}, func() { c.notef("Started job %d (coffer job wait %d).", job, job) })
				}
				if _, err := c.waitJob(cl, id, 0); err != nil {
					return err
				}
				return c.out(map[string]any{"job": job, "deleted": v.Name}, func() { c.notef("Deleted vault %s.", v.Name) })
			}},
	)...)
}

package main

import (
	"io"

	"github.com/spf13/cobra"

	"coffer/internal/adminclient"
)

func readAll(r io.Reader) ([]byte, error) { return io.ReadAll(io.LimitReader(r, 1<<20)) }

func (c *cli) bucketCmd() *cobra.Command {
	var size, comment, policyFile string
	var versioning, all bool
	var in adminclient.BucketInput // by create's check, for its run
	return c.tenantFlag(group("bucket", "a tenant's buckets", c.subs(
		sub{use: "list", short: "list a tenant's buckets (--all: every tenant's)",
			flags: func(cmd *cobra.Command) { cmd.Flags().BoolVar(&all, "all", false, "list the buckets of every tenant") },
			run: func(cl *adminclient.Client, _ string, _ []string) error {
				tenant := c.tenant
				if all {
					tenant = ""
				}
				bs, err := cl.Buckets(c.ctx, tenant)
				if err != nil {
					return err
				}
				return printRows(c, bs, []string{"NAME", "TENANT", "USED", "QUOTA", "VERSIONING", "COMMENT"}, func(b adminclient.Bucket) []string {
					return []string{b.Name, b.SVM.Name, humanBytes(b.LogicalUsedSize), quota(b.Size), orDash(b.VersioningState), b.Comment}
				})
			}},
		sub{use: "show NAME", short: "show a bucket",
			run: func(cl *adminclient.Client, _ string, a []string) error {
				b, err := cl.Bucket(c.ctx, c.tenant, a[0])
				if err != nil {
					return err
				}
				return c.out(b, func() {
					pol := "none"
					if len(b.Policy) > 0 {
						pol = string(b.Policy)
					}
					c.fields("Name", b.Name, "UUID", b.UUID, "Tenant", b.SVM.Name, "Used", humanBytes(b.LogicalUsedSize),
						"Quota", quota(b.Size), "Versioning", orDash(b.VersioningState), "Policy", pol, "Comment", b.Comment)
				})
			}},
		sub{use: "create NAME", short: "create a bucket (a job)", wait: true,
			flags: func(cmd *cobra.Command) {
				f := cmd.Flags()
				f.StringVar(&size, "size", "", "quota, e.g. 100GiB (default the server's: 800 GiB)")
				f.BoolVar(&versioning, "versioning", false, "enable versioning")
				f.StringVar(&comment, "comment", "", "comment")
				f.StringVar(&policyFile, "policy-file", "", "bucket policy: JSON file of ONTAP statements (with principals); - reads stdin")
			},
			check: func(a []string) error {
				in = adminclient.BucketInput{SVMName: c.tenant, Name: a[0], Comment: comment, Versioning: versioning}
				if size != "" {
					n, err := parseSize(size)
					if err != nil {
						return usageErr("--size: %v", err)
					}
					in.Size = n
				}
				if policyFile != "" {
					st, err := c.readStatements(policyFile)
					if err != nil {
						return err
					}
					in.Statements = st
				}
				return nil
			},
			run: func(cl *adminclient.Client, _ string, a []string) error {
				ch, err := cl.CreateBucket(c.ctx, in, !c.noWait)
				if err != nil {
					return err
				}
				return c.finish(cl, ch, "Created bucket "+a[0]+" in tenant "+c.tenant+".")
			}},
		sub{use: "delete NAME", short: "delete an empty bucket (a job)", wait: true,
			run: func(cl *adminclient.Client, _ string, a []string) error {
				b, err := cl.Bucket(c.ctx, c.tenant, a[0])
				if err != nil {
					return err
				}
				ch, err := cl.DeleteBucket(c.ctx, b.SVM.UUID, b.UUID, !c.noWait)
				if err != nil {
					return err
				}
				return c.finish(cl, ch, "Deleted bucket "+b.Name+".")
			}},
	)...))
}

func quota(n int64) string {
	if n == 0 {
		return "-"
	}
	return humanBytes(n)
}

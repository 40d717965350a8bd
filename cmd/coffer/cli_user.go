package main

import (
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"coffer/internal/adminclient"
)

// tenantUUID resolves --tenant.
func (c *cli) tenantUUID(cl *adminclient.Client) (string, error) {
	t, err := cl.Tenant(c.ctx, c.tenant)
	return t.UUID, err
}

func keyList(u adminclient.S3User) string {
	var ks []string
	for _, k := range u.Keys {
		s := strconv.Itoa(k.ID) + ":" + k.AccessKey
		if k.ExpiryTime != "" {
			s += " (expires " + k.ExpiryTime + ")"
		}
		ks = append(ks, s)
	}
	if len(ks) == 0 && u.AccessKey != "" {
		ks = append(ks, u.AccessKey)
	}
	return orDash(strings.Join(ks, ", "))
}

func (c *cli) showSecret(u adminclient.S3User) error {
	return c.out(u, func() {
		c.fields("User", u.Name, "Access key", u.AccessKey, "Secret key", u.SecretKey)
		c.notef("The secret key is shown only now: store it.")
	})
}

func (c *cli) userCmd() *cobra.Command {
	var comment string
	return c.tenantFlag(group("user", "a tenant's S3 users", c.subs(
		sub{use: "list", short: "list a tenant's S3 users", tenant: true,
			run: func(cl *adminclient.Client, svm string, _ []string) error {
				us, err := cl.Users(c.ctx, svm)
				if err != nil {
					return err
				}
				return printRows(c, us, []string{"NAME", "KEYS", "COMMENT"}, func(u adminclient.S3User) []string {
					return []string{u.Name, keyList(u), u.Comment}
				})
			}},
		sub{use: "show NAME", short: "show an S3 user", tenant: true,
			run: func(cl *adminclient.Client, svm string, a []string) error {
				u, err := cl.User(c.ctx, svm, a[0])
				if err != nil {
					return err
				}
				return c.out(u, func() { c.fields("Name", u.Name, "Tenant", u.SVM.Name, "Keys", keyList(u), "Comment", u.Comment) })
			}},
		sub{use: "create NAME", short: "create an S3 user with a key pair; prints the secret key once", tenant: true,
			flags: func(cmd *cobra.Command) { cmd.Flags().StringVar(&comment, "comment", "", "comment") },
			run: func(cl *adminclient.Client, svm string, a []string) error {
				u, err := cl.CreateUser(c.ctx, svm, a[0], comment)
				if err != nil {
					return err
				}
				return c.showSecret(u)
			}},
		sub{use: "delete NAME", short: "delete an S3 user and its keys", tenant: true,
			run: func(cl *adminclient.Client, svm string, a []string) error {
				if err := cl.DeleteUser(c.ctx, svm, a[0]); err != nil {
					return err
				}
				return c.out(map[string]any{"deleted": a[0]}, func() { c.notef("Deleted user %s.", a[0]) })
			}},
	)...))
}

func (c *cli) keyCmd() *cobra.Command {
	var keyID int
	var ttl string
	return c.tenantFlag(group("key", "S3 access keys of a user (ONTAP regenerate_keys / delete_keys)", c.subs(
		sub{use: "list USER", short: "list a user's access keys (never the secrets)", tenant: true,
			run: func(cl *adminclient.Client, svm string, a []string) error {
				u, err := cl.User(c.ctx, svm, a[0])
				if err != nil {
					return err
				}
				return printRows(c, u.Keys, []string{"ID", "ACCESS KEY", "EXPIRES"}, func(k adminclient.UserKey) []string {
					return []string{strconv.Itoa(k.ID), k.AccessKey, orDash(k.ExpiryTime)}
				})
			}},
		sub{use: "create USER", aliases: []string{"rotate"}, tenant: true,
			short: "issue a new key pair for a user (replacing key --key-id); prints the secret once",
			flags: func(cmd *cobra.Command) {
				cmd.Flags().IntVar(&keyID, "key-id", 0, "which key to replace: 1 or 2 (default the server's: 1)")
				cmd.Flags().StringVar(&ttl, "ttl", "", "the key's lifetime, ISO-8601 (P30D, PT12H)")
			},
			run: func(cl *adminclient.Client, svm string, a []string) error {
				u, err := cl.RegenerateKey(c.ctx, svm, a[0], keyID, ttl)
				if err != nil {
					return err
				}
				if u.Name == "" {
					u.Name = a[0]
				}
				return c.showSecret(u)
			}},
		sub{use: "delete USER", short: "delete a user's keys (all, or --key-id)", tenant: true,
			flags: func(cmd *cobra.Command) { cmd.Flags().IntVar(&keyID, "key-id", 0, "delete only this key (1 or 2)") },
			run: func(cl *adminclient.Client, svm string, a []string) error {
				if err := cl.DeleteKeys(c.ctx, svm, a[0], keyID); err != nil {
					return err
				}
				return c.out(map[string]any{"user": a[0], "deleted_key": keyID}, func() { c.notef("Deleted the keys of %s.", a[0]) })
			}},
	)...))
}

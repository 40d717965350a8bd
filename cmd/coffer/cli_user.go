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
	list := &cobra.Command{
		Use: "list", Short: "list a tenant's S3 users", Args: args(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cl, err := c.client()
			if err != nil {
				return err
			}
			svm, err := c.tenantUUID(cl)
			if err != nil {
				return err
			}
			us, err := cl.Users(c.ctx, svm)
			if err != nil {
				return err
			}
			return c.out(us, func() {
				var rows [][]string
				for _, u := range us {
					rows = append(rows, []string{u.Name, keyList(u), u.Comment})
				}
				c.table([]string{"NAME", "KEYS", "COMMENT"}, rows)
			})
		},
	}
	show := &cobra.Command{
		Use: "show NAME", Short: "show an S3 user", Args: args(1, "NAME"),
		RunE: func(cmd *cobra.Command, a []string) error {
			cl, err := c.client()
			if err != nil {
				return err
			}
			svm, err := c.tenantUUID(cl)
			if err != nil {
				return err
			}
			u, err := cl.User(c.ctx, svm, a[0])
			if err != nil {
				return err
			}
			return c.out(u, func() { c.fields("Name", u.Name, "Tenant", u.SVM.Name, "Keys", keyList(u), "Comment", u.Comment) })
		},
	}
	create := &cobra.Command{
		Use: "create NAME", Short: "create an S3 user with a key pair; prints the secret key once", Args: args(1, "NAME"),
		RunE: func(cmd *cobra.Command, a []string) error {
			cl, err := c.client()
			if err != nil {
				return err
			}
			svm, err := c.tenantUUID(cl)
			if err != nil {
				return err
			}
			u, err := cl.CreateUser(c.ctx, svm, a[0], comment)
			if err != nil {
				return err
			}
			return c.showSecret(u)
		},
	}
	create.Flags().StringVar(&comment, "comment", "", "comment")
	del := &cobra.Command{
		Use: "delete NAME", Short: "delete an S3 user and its keys", Args: args(1, "NAME"),
		RunE: func(cmd *cobra.Command, a []string) error {
			cl, err := c.client()
			if err != nil {
				return err
			}
			svm, err := c.tenantUUID(cl)
			if err != nil {
				return err
			}
			if err := cl.DeleteUser(c.ctx, svm, a[0]); err != nil {
				return err
			}
			return c.out(map[string]any{"deleted": a[0]}, func() { c.notef("Deleted user %s.", a[0]) })
		},
	}
	return c.tenantFlag(group("user", "a tenant's S3 users", list, show, create, del))
}

func (c *cli) keyCmd() *cobra.Command {
	var keyID int
	var ttl string
	list := &cobra.Command{
		Use: "list USER", Short: "list a user's access keys (never the secrets)", Args: args(1, "USER"),
		RunE: func(cmd *cobra.Command, a []string) error {
			cl, err := c.client()
			if err != nil {
				return err
			}
			svm, err := c.tenantUUID(cl)
			if err != nil {
				return err
			}
			u, err := cl.User(c.ctx, svm, a[0])
			if err != nil {
				return err
			}
			return c.out(u.Keys, func() {
				var rows [][]string
				for _, k := range u.Keys {
					rows = append(rows, []string{strconv.Itoa(k.ID), k.AccessKey, orDash(k.ExpiryTime)})
				}
				c.table([]string{"ID", "ACCESS KEY", "EXPIRES"}, rows)
			})
		},
	}
	create := &cobra.Command{
		Use: "create USER", Aliases: []string{"rotate"},
		Short: "issue a new key pair for a user (replacing key --key-id); prints the secret once", Args: args(1, "USER"),
		RunE: func(cmd *cobra.Command, a []string) error {
			cl, err := c.client()
			if err != nil {
				return err
			}
			svm, err := c.tenantUUID(cl)
			if err != nil {
				return err
			}
			u, err := cl.RegenerateKey(c.ctx, svm, a[0], keyID, ttl)
			if err != nil {
				return err
			}
			if u.Name == "" {
				u.Name = a[0]
			}
			return c.showSecret(u)
		},
	}
	create.Flags().IntVar(&keyID, "key-id", 0, "which key to replace: 1 or 2 (default the server's: 1)")
	create.Flags().StringVar(&ttl, "ttl", "", "the key's lifetime, ISO-8601 (P30D, PT12H)")
	del := &cobra.Command{
		Use: "delete USER", Short: "delete a user's keys (all, or --key-id)", Args: args(1, "USER"),
		RunE: func(cmd *cobra.Command, a []string) error {
			cl, err := c.client()
			if err != nil {
				return err
			}
			svm, err := c.tenantUUID(cl)
			if err != nil {
				return err
			}
			if err := cl.DeleteKeys(c.ctx, svm, a[0], keyID); err != nil {
				return err
			}
			return c.out(map[string]any{"user": a[0], "deleted_key": keyID}, func() { c.notef("Deleted the keys of %s.", a[0]) })
		},
	}
	del.Flags().IntVar(&keyID, "key-id", 0, "delete only this key (1 or 2)")
	return c.tenantFlag(group("key", "S3 access keys of a user (ONTAP regenerate_keys / delete_keys)", list, create, del))
}

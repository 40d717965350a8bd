package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"coffer/internal/adminclient"
)

func (c *cli) loginCmd() *cobra.Command {
	var endpoint, user, password, caFile, fingerprint string
	var passwordStdin, insecure bool
	var renewDays int
	cmd := &cobra.Command{
		Use:   "login",
		Short: "log in to a management API and store a token",
		Long: `Log in to a Coffer management listener as an administrator and store its
endpoint and a renewable access token (never the password) in the config
file, owner-only.

The password comes from --password, COFFER_ADMIN_PASSWORD, --password-stdin
(one line) or a prompt. A certificate that verifies against the system's
roots or --ca-file is trusted as such; otherwise (the self-signed certificate
of a default server) its SHA-256 fingerprint is pinned, as ssh's known_hosts
does: after asking on a terminal, or when given with --fingerprint (compare
with what coffer server printed), or unseen with --insecure. Every later
command then requires that very certificate.`,
		Args: args(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if endpoint == "" {
				endpoint = env("COFFER_ENDPOINT", "https://127.0.0.1:9001")
			}
			if !strings.Contains(endpoint, "://") {
				endpoint = "https://" + endpoint
			}
			endpoint = strings.TrimRight(endpoint, "/")
			if user == "" {
				user = env("COFFER_ADMIN_USER", "admin")
			}
			pw, err := c.password(password, passwordStdin)
			if err != nil {
				return err
			}
			var t adminclient.TLSOptions
			if caFile != "" {
				b, err := os.ReadFile(caFile)
				if err != nil {
					return fmt.Errorf("--ca-file: %w", err)
				}
				t.CACert = string(b)
			}
			if strings.HasPrefix(endpoint, "https://") {
				if t, err = c.trust(endpoint, t, fingerprint, insecure); err != nil {
					return err
				}
			}
			cfg, err := adminclient.Login(c.ctx, adminclient.LoginOptions{Endpoint: endpoint, User: user, Password: pw, TLS: t,
				TokenName: tokenName(), RenewFor: time.Duration(renewDays) * 24 * time.Hour})
			if err != nil {
				return err
			}
			cl, err := adminclient.New(cfg, adminclient.Options{})
			if err != nil {
				return err
			}
			cluster, err := cl.Cluster(c.ctx)
			if err != nil {
				return fmt.Errorf("the token does not work on the ONTAP API: %w", err)
			}
			path, err := c.configPath()
			if err != nil {
				return err
			}
			if err := adminclient.SaveConfig(path, cfg); err != nil {
				return err
			}
			return c.out(map[string]any{"endpoint": cfg.Endpoint, "user": cfg.User, "cluster": cluster.Name,
				"version": cluster.Version.Full, "renewable_until": cfg.RenewableUntil, "config": path,
				"fingerprint": cfg.TLS.Fingerprint}, func() {
				fmt.Fprintf(c.stdout, "Logged in to %s (cluster %s, %s) as %s.\n", cfg.Endpoint, cluster.Name, cluster.Version.Full, cfg.User)
				fmt.Fprintf(c.stdout, "Token stored in %s; it renews itself until %s.\n", path, cfg.RenewableUntil.Local().Format(time.DateTime))
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&endpoint, "endpoint", "", "management API, https://host:port (env COFFER_ENDPOINT; default https://127.0.0.1:9001)")
	f.StringVar(&user, "user", "", "administrator (env COFFER_ADMIN_USER; default admin)")
	f.StringVar(&password, "password", "", "password (env COFFER_ADMIN_PASSWORD; else --password-stdin or a prompt)")
	f.BoolVar(&passwordStdin, "password-stdin", false, "read the password from the first line of standard input")
	f.StringVar(&caFile, "ca-file", "", "PEM file of the CA (or the server's own certificate, DATA-DIR/tls/admin.crt) to trust")
	f.StringVar(&fingerprint, "fingerprint", "", "pin the server certificate with this SHA-256 fingerprint (AB:CD:…)")
	f.BoolVar(&insecure, "insecure", false, "accept and pin the server's certificate without checking it")
	f.IntVar(&renewDays, "renew-days", 14, "days the stored token keeps renewing itself (1..366)")
	return cmd
}

func tokenName() string {
	host, _ := os.Hostname()
	return "coffer-cli@" + host
}

// password finds the password: flag, environment, stdin, or a prompt.
func (c *cli) password(flagValue string, fromStdin bool) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	if fromStdin {
		line, err := bufio.NewReader(c.stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", err
		}
		if pw := strings.TrimRight(line, "\r\n"); pw != "" {
			return pw, nil
		}
		return "", usageErr("--password-stdin: no password on standard input")
	}
	if pw := os.Getenv("COFFER_ADMIN_PASSWORD"); pw != "" {
		return pw, nil
	}
	if f, ok := c.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(c.stderr, "Password: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(c.stderr)
		if err != nil {
			return "", err
		}
		return string(b), nil
	}
	return "", usageErr("no password: give --password, COFFER_ADMIN_PASSWORD or --password-stdin")
}

// trust decides how the endpoint's certificate is trusted.
func (c *cli) trust(endpoint string, t adminclient.TLSOptions, fingerprint string, insecure bool) (adminclient.TLSOptions, error) {
	if fingerprint != "" {
		fp := adminclient.NormalizeFingerprint(fingerprint)
		if fp == "" {
			return t, usageErr("--fingerprint %q is not a SHA-256 fingerprint (64 hex digits, colons allowed)", fingerprint)
		}
		t.Fingerprint = fp
		return t, nil // the login's own connections check it
	}
	p, err := adminclient.ProbeTLS(c.ctx, endpoint, t.CACert)
	if err != nil {
		return t, fmt.Errorf("connecting to %s: %w", endpoint, err)
	}
	if p.VerifyErr == nil {
		return t, nil
	}
	switch {
	case insecure:
		c.notef("Pinned the certificate of %s, accepted unchecked (--insecure): SHA-256 %s", endpoint, p.Fingerprint)
	case c.isTerminal(c.stdin):
		fmt.Fprintf(c.stderr, "The certificate of %s is not trusted (%v).\n  Subject: %s\n  SHA-256 fingerprint: %s\n"+
			"Compare it with the fingerprint coffer server printed at start. Trust it and pin it (yes/no)? ",
			endpoint, p.VerifyErr, p.Subject, p.Fingerprint)
		line, _ := bufio.NewReader(c.stdin).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(line)); a != "yes" && a != "y" {
			return t, errors.New("certificate not trusted: login cancelled")
		}
	default:
		return t, fmt.Errorf("the certificate of %s is not trusted (%v); its SHA-256 fingerprint is %s: compare it with the one coffer server printed and pass --fingerprint, or --ca-file DATA-DIR/tls/admin.crt",
			endpoint, p.VerifyErr, p.Fingerprint)
	}
	t.Fingerprint = p.Fingerprint
	return t, nil
}

func (c *cli) logoutCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "logout",
		Short: "revoke the stored token and delete the config file",
		Args:  args(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			path, err := c.configPath()
			if err != nil {
				return err
			}
			cl, err := c.client()
			if err != nil {
				return err
			}
			rerr := cl.Logout(c.ctx)
			if err := os.Remove(path); err != nil {
				return err
			}
			if rerr != nil {
				return fmt.Errorf("config removed, but the token could not be revoked on the server: %w", rerr)
			}
			fmt.Fprintln(c.stdout, "Logged out; token revoked and", path, "removed.")
			return nil
		},
	}
}

func (c *cli) statusCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "show the stored login and check it against the server",
		Args:  args(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cl, err := c.client()
			if err != nil {
				return err
			}
			cluster, err := cl.Cluster(c.ctx)
			if err != nil {
				return err
			}
			cfg := cl.Config()
			trust := "system roots"
			switch {
			case cfg.TLS.Fingerprint != "":
				trust = "pinned SHA-256 " + cfg.TLS.Fingerprint
			case cfg.TLS.CACert != "":
				trust = "CA file given at login"
			case strings.HasPrefix(cfg.Endpoint, "http://"):
				trust = "none (plain HTTP)"
			}
			return c.out(map[string]any{"endpoint": cfg.Endpoint, "user": cfg.User, "cluster": cluster.Name, "version": cluster.Version.Full,
				"token_expires": cfg.Expires, "renewable_until": cfg.RenewableUntil, "certificate": trust}, func() {
				c.fields("Endpoint", cfg.Endpoint, "User", cfg.User, "Cluster", cluster.Name+" ("+cluster.Version.Full+")",
					"Certificate", trust, "Token renewable until", cfg.RenewableUntil.Local().Format(time.DateTime))
			})
		},
	}
}

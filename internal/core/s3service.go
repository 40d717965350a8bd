package core

import (
	"context"
	"sort"
	"time"

	"coffer/internal/errs"
	"coffer/internal/kv"
)

// S3Service is a tenant's S3 server (ONTAP /protocols/s3/services/{svm.uuid};
// implicit in Commvault). A tenant has at most one. Its users may use S3
// only while it is Enabled and the tenant is running.
type S3Service struct {
	Schema int `json:"_v"`
	// Tenant is the tenant's uuid (ONTAP svm.uuid).
	Tenant string `json:"tenant"`
	// Name is the server's name: 3..253 characters of [0-9A-Za-z.-].
	Name string `json:"name"`
	// Enabled: when false, every S3 request of the tenant's users fails with
	// AccessDenied (see Authorize).
	Enabled bool   `json:"enabled"`
	Comment string `json:"comment,omitempty"`
	// IsHTTPEnabled, IsHTTPSEnabled, Port and SecurePort are ONTAP's
	// listener settings; Coffer stores and reports them (its listeners are
	// configured on the command line).
	IsHTTPEnabled  bool `json:"http"`
	IsHTTPSEnabled bool `json:"https"`
	Port           int  `json:"port"`
	SecurePort     int  `json:"secure_port"`
	// Certificate names the server certificate (ONTAP certificate.name/uuid).
	Certificate CertificateRef `json:"cert,omitempty"`
	// DefaultUnixUser and DefaultWinUser are ONTAP's NAS-bucket mappings.
	DefaultUnixUser string `json:"unix_user,omitempty"`
	DefaultWinUser  string `json:"win_user,omitempty"`
	// MaxKeyTimeToLive caps users' key_time_to_live; 0 means no cap.
	MaxKeyTimeToLive time.Duration `json:"max_key_ttl,omitempty"`
	// MinLockRetention and MaxLockRetention are ISO-8601 periods ("P1Y",
	// "P30D") or "" for none; stored and reported.
	MinLockRetention string    `json:"min_lock,omitempty"`
	MaxLockRetention string    `json:"max_lock,omitempty"`
	Created          time.Time `json:"created"`
}

// CertificateRef names a certificate.
type CertificateRef struct {
	Name string `json:"name,omitempty"`
	UUID string `json:"uuid,omitempty"`
}

const serviceSchema = 1

// CreateS3ServiceInput creates a tenant's S3 service (ONTAP POST
// /protocols/s3/services).
type CreateS3ServiceInput struct {
	// Tenant is the tenant's uuid.
	Tenant string
	// Name defaults to the tenant's name made valid (characters other than
	// [0-9A-Za-z.-] become "-"; "s3." is prefixed to names under 3).
	Name    string
	Comment string
	// Enabled defaults to true, IsHTTPSEnabled to true, IsHTTPEnabled to
	// false, Port to 80 and SecurePort to 443.
	Enabled                       *bool
	IsHTTPEnabled, IsHTTPSEnabled *bool
	Port, SecurePort              int
	Certificate                   CertificateRef
	DefaultUnixUser               string
	DefaultWinUser                string
	MaxKeyTimeToLive              time.Duration
	MinLockRetention              string
	MaxLockRetention              string
	// Users are created with the service, in the same transaction: if one
	// fails, nothing is created (ONTAP's rule). Their Tenant is ignored.
	Users []CreateUserInput
}

// CreatedUser is a user created now with its new key (the only time the
// secret is shown).
type CreatedUser struct {
	User User
	Key  NewKey
}

// CreateS3ServiceOutput is the new service, its root user and the users
// created with it.
type CreateS3ServiceOutput struct {
	Service S3Service
	// Root is the tenant's root user; RootKey is set only when root was
	// created now (a tenant whose service was deleted without delete_all
	// keeps its root user and keys).
	Root    User
	RootKey *NewKey
	Users   []CreatedUser
}

// S3ServicePatch changes a service (ONTAP PATCH
// /protocols/s3/services/{svm.uuid}); nil fields stay.
type S3ServicePatch struct {
	Name                          *string
	Comment                       *string
	Enabled                       *bool
	IsHTTPEnabled, IsHTTPSEnabled *bool
	Port, SecurePort              *int
	Certificate                   *CertificateRef
	DefaultUnixUser               *string
	DefaultWinUser                *string
	MaxKeyTimeToLive              *time.Duration
	MinLockRetention              *string
	MaxLockRetention              *string
}

// DeleteS3ServiceInput deletes a service (ONTAP DELETE
// /protocols/s3/services/{svm.uuid}?delete_all=).
type DeleteS3ServiceInput struct {
	Tenant string
	// DeleteAll also deletes the tenant's users (root included) with their
	// keys, its groups and policies, and its empty buckets. Non-empty buckets
	// are kept and reported. ONTAP's default is true; the zero value here is
	// false, so adapters pass it explicitly.
	DeleteAll bool
}

// DeleteS3ServiceOutput reports what DeleteS3Service kept.
type DeleteS3ServiceOutput struct {
	// BucketsKept are the non-empty buckets DeleteAll left in place.
	BucketsKept []string
}

func validateServiceName(name string) error {
	if len(name) < 3 || len(name) > 253 {
		return fail(errs.InvalidArgument, ReasonServiceNameLength, "name",
			"The object store server name must be between 3 and 253 characters long.")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(isAlnum(c) || c == '.' || c == '-') {
			return fail(errs.InvalidArgument, ReasonServiceNameChars, "name",
				"The object store server name contains invalid characters. Valid characters are 0-9, A-Z, a-z, \".\" and \"-\".")
		}
	}
	return nil
}

// defaultServiceName derives a valid service name from a tenant name.
func defaultServiceName(tenant string) string {
	b := []byte(tenant)
	for i, c := range b {
		if !(isAlnum(c) || c == '.' || c == '-') {
			b[i] = '-'
		}
	}
	name := string(b)
	if len(name) < 3 {
		name = "s3." + name
	}
	return name
}

func validatePort(field string, p int) error {
	if p < 1 || p > 65535 {
		return fail(errs.InvalidArgument, ReasonServicePort, field, "%s must be within 1..65535", field)
	}
	return nil
}

func (v *S3Service) validate() error {
	if err := validateServiceName(v.Name); err != nil {
		return err
	}
	if err := checkComment(v.Comment, 256); err != nil {
		return err
	}
	if err := validatePort("port", v.Port); err != nil {
		return err
	}
	if err := validatePort("secure_port", v.SecurePort); err != nil {
		return err
	}
	if v.MaxKeyTimeToLive < 0 {
		return fail(errs.InvalidArgument, ReasonDuration, "max_key_time_to_live", "durations must not be negative")
	}
	if v.MaxKeyTimeToLive > MaxKeyTimeToLive {
		return fail(errs.InvalidArgument, ReasonKeyTTLTooLong, "max_key_time_to_live",
			"the maximum key time to live is 1095 days")
	}
	return nil
}

func getService(tx kv.Reader, tenant string) (S3Service, bool, error) {
	var v S3Service
	ok, err := kv.GetJSON(tx, key('s', tenant), &v)
	return v, ok, err
}

// requireService reads the data tenant and its service (ReasonNotDataTenant,
// ReasonNoS3Service).
func requireService(tx kv.Reader, tenant string) (Tenant, S3Service, error) {
	t, err := dataTenant(tx, tenant)
	if err != nil {
		return t, S3Service{}, err
	}
	v, ok, err := getService(tx, tenant)
	if err != nil {
		return t, v, err
	}
	if !ok {
		return t, v, fail(errs.NotFound, ReasonNoS3Service, "svm.uuid",
			"Object store server is not present for specified SVM. Create a object store server and retry the operation.")
	}
	return t, v, nil
}

// CreateS3Service creates a tenant's S3 service with its root user (and
// root's keys) and the users of in.Users, in one transaction.
func (s *Service) CreateS3Service(ctx context.Context, in CreateS3ServiceInput) (CreateS3ServiceOutput, error) {
	boolOr := func(p *bool, def bool) bool {
		if p == nil {
			return def
		}
		return *p
	}
	v := S3Service{Schema: serviceSchema, Tenant: in.Tenant, Name: in.Name, Comment: in.Comment,
		Enabled: boolOr(in.Enabled, true), IsHTTPEnabled: boolOr(in.IsHTTPEnabled, false),
		IsHTTPSEnabled: boolOr(in.IsHTTPSEnabled, true), Port: in.Port, SecurePort: in.SecurePort,
		Certificate: in.Certificate, DefaultUnixUser: in.DefaultUnixUser, DefaultWinUser: in.DefaultWinUser,
		MaxKeyTimeToLive: in.MaxKeyTimeToLive, MinLockRetention: in.MinLockRetention,
		MaxLockRetention: in.MaxLockRetention}
	if v.Port == 0 {
		v.Port = 80
	}
	if v.SecurePort == 0 {
		v.SecurePort = 443
	}
	var out CreateS3ServiceOutput
	err := s.update(ctx, "create S3 service", func(tx kv.Txn) error {
		out = CreateS3ServiceOutput{}
		t, err := dataTenant(tx, in.Tenant)
		if err != nil {
			return err
		}
		if _, ok, err := getService(tx, in.Tenant); err != nil {
			return err
		} else if ok {
			return fail(errs.AlreadyExists, ReasonS3ServiceExists, "svm.uuid",
				"An object store server already exists for SVM %q.", t.Name)
		}
		if v.Name == "" {
			v.Name = defaultServiceName(t.Name)
		}
		if err := v.validate(); err != nil {
			return err
		}
		v.Created = s.now().UTC()
		if err := kv.SetJSON(tx, key('s', in.Tenant), &v); err != nil {
			return err
		}
		out.Service = v
		root, found, err := getUser(tx, in.Tenant, RootUserName)
		if err != nil {
			return err
		}
		if found {
			out.Root = root
		} else {
			u, k, err := s.createUserTx(tx, t, v, CreateUserInput{Tenant: in.Tenant, Name: RootUserName}, true)
			if err != nil {
				return err
			}
			out.Root, out.RootKey = u, &k
		}
		for _, ui := range in.Users {
			ui.Tenant = in.Tenant
			u, k, err := s.createUserTx(tx, t, v, ui, false)
			if err != nil {
				return err
			}
			out.Users = append(out.Users, CreatedUser{User: u, Key: k})
		}
		return nil
	})
	if err != nil {
		return CreateS3ServiceOutput{}, err
	}
	s.identChanged()
	return out, nil
}

// GetS3Service returns a tenant's service (ReasonNotDataTenant,
// ReasonNoS3Service).
func (s *Service) GetS3Service(ctx context.Context, tenant string) (S3Service, error) {
	var v S3Service
	err := s.view(ctx, "get S3 service", func(tx kv.Reader) error {
		var err error
		_, v, err = requireService(tx, tenant)
		return err
	})
	return v, err
}

// ListS3Services returns every service, by tenant name.
func (s *Service) ListS3Services(ctx context.Context) ([]S3Service, error) {
	type named struct {
		name string
		v    S3Service
	}
	var all []named
	err := s.view(ctx, "list S3 services", func(tx kv.Reader) error {
		all = nil
		return scan(tx, []byte{'s'}, func(_, raw []byte) error {
			var v S3Service
			if err := jsonUnmarshal(raw, &v); err != nil {
				return err
			}
			t, err := getTenant(tx, v.Tenant)
			if err != nil {
				return err
			}
			all = append(all, named{t.Name, v})
			return nil
		})
	})
	sort.Slice(all, func(i, j int) bool { return all[i].name < all[j].name })
	out := make([]S3Service, len(all))
	for i := range all {
		out[i] = all[i].v
	}
	return out, err
}

// UpdateS3Service changes a service. Disabling it makes its users' S3
// requests fail at once.
func (s *Service) UpdateS3Service(ctx context.Context, tenant string, p S3ServicePatch) (S3Service, error) {
	var v S3Service
	err := s.update(ctx, "update S3 service", func(tx kv.Txn) error {
		var err error
		if _, v, err = requireService(tx, tenant); err != nil {
			return err
		}
		set := func(dst *string, src *string) {
			if src != nil {
				*dst = *src
			}
		}
		set(&v.Name, p.Name)
		set(&v.Comment, p.Comment)
		set(&v.DefaultUnixUser, p.DefaultUnixUser)
		set(&v.DefaultWinUser, p.DefaultWinUser)
		set(&v.MinLockRetention, p.MinLockRetention)
		set(&v.MaxLockRetention, p.MaxLockRetention)
		for _, b := range []struct {
			dst *bool
			src *bool
		}{{&v.Enabled, p.Enabled}, {&v.IsHTTPEnabled, p.IsHTTPEnabled}, {&v.IsHTTPSEnabled, p.IsHTTPSEnabled}} {
			if b.src != nil {
				*b.dst = *b.src
			}
		}
		if p.Port != nil {
			v.Port = *p.Port
		}
		if p.SecurePort != nil {
			v.SecurePort = *p.SecurePort
		}
		if p.Certificate != nil {
			v.Certificate = *p.Certificate
		}
		if p.MaxKeyTimeToLive != nil {
			v.MaxKeyTimeToLive = *p.MaxKeyTimeToLive
		}
		if err := v.validate(); err != nil {
			return err
		}
		return kv.SetJSON(tx, key('s', tenant), &v)
	})
	if err != nil {
		return S3Service{}, err
	}
	s.identChanged()
	return v, nil
}

// DeleteS3Service deletes a tenant's service; see DeleteS3ServiceInput.
func (s *Service) DeleteS3Service(ctx context.Context, in DeleteS3ServiceInput) (DeleteS3ServiceOutput, error) {
	var out DeleteS3ServiceOutput
	err := s.update(ctx, "delete S3 service", func(tx kv.Txn) error {
		if _, _, err := requireService(tx, in.Tenant); err != nil {
			return err
		}
		if in.DeleteAll {
			if err := s.deleteTenantIdentities(tx, in.Tenant); err != nil {
				return err
			}
		}
		return tx.Delete(key('s', in.Tenant))
	})
	if err != nil {
		return out, err
	}
	s.identChanged()
	if !in.DeleteAll {
		return out, nil
	}
	list, err := s.obj.ListBuckets(ctx, objectsListAll(in.Tenant, 0))
	if err != nil {
		return out, err
	}
	for _, b := range list.Buckets {
		if err := s.obj.DeleteBucket(ctx, in.Tenant, b.Name); err != nil {
			if errs.KindOf(err) == errs.BucketNotEmpty {
				out.BucketsKept = append(out.BucketsKept, b.Name)
				continue
			}
			s.bucketChanged()
			return out, err
		}
	}
	s.bucketChanged()
	return out, nil
}

// deleteTenantIdentities deletes a tenant's users with their keys and int-id
// indexes, its groups and its policies.
func (s *Service) deleteTenantIdentities(tx kv.Txn, tenant string) error {
	var users []User
	if err := scan(tx, key('u', tenant, ""), func(_, raw []byte) error {
		var u User
		if err := jsonUnmarshal(raw, &u); err != nil {
			return err
		}
		users = append(users, u)
		return nil
	}); err != nil {
		return err
	}
	for i := range users {
		if err := deleteUserTx(tx, &users[i]); err != nil {
			return err
		}
	}
	var groups []int32
	if err := scan(tx, key('h', tenant, ""), func(_, raw []byte) error {
		var id int32
		if err := jsonUnmarshal(raw, &id); err != nil {
			return err
		}
		groups = append(groups, id)
		return nil
	}); err != nil {
		return err
	}
	for _, id := range groups {
		g, err := getGroup(tx, tenant, id)
		if err != nil {
			return err
		}
		if err := deleteGroupTx(tx, &g); err != nil {
			return err
		}
	}
	_, err := kv.DeletePrefix(tx, key('p', tenant, ""))
	return err
}

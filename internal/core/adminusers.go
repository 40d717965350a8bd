package core

import (
	"context"
	"time"

	"coffer/internal/errs"
	"coffer/internal/kv"
)

// Management accounts and users.
//
// A management account (Admin: the ONTAP cluster administrator, the
// Commvault Login user) is not an S3 principal. Commvault, however, treats
// its administrator as a user: it has a userId, is listed among the users,
// can own vaults and holds S3 keys. The mapping between the two is this
// one rule, written here once:
//
//   - In a data tenant, the management account named A is the user named A
//     of that tenant. AdminUser creates the user when it is first needed
//     (an AWS-style key pair is issued; its secret is shown only by a later
//     rotation), or links an existing user of that name, and records the
//     link ('v' 'A' tenant 0x00 A → the user's id and uuid).
//   - The user is an ordinary S3 user: it has the rights its groups, the
//     vaults it owns and the bucket policies give it, and no more (being
//     an administrator on the management plane grants nothing on S3).
//   - While the account exists, its user cannot be deleted
//     (ReasonAdminUser); deleting the account leaves the user in place.
//     A user deleted anyway (its tenant's service was deleted) is created
//     anew at the next AdminUser.

type adminUserRecord struct {
	Schema   int       `json:"_v"`
	Tenant   string    `json:"tenant"`
	Admin    string    `json:"admin"`
	UserID   int32     `json:"user_id"`
	UserUUID string    `json:"user_uuid"`
	Linked   time.Time `json:"linked"`
}

const adminUserSchema = 1

// ReasonAdminUser: the user stands for a management account (InUse).
const ReasonAdminUser Reason = "user.admin_identity"

func adminUserKey(tenant, admin string) []byte { return vkey('A', tenant, admin) }

// AdminUser returns the user that stands for management account admin in
// a data tenant, creating or linking it as needed (see above). Errors: the
// account does not exist (ReasonAdminNotFound), the tenant's rules
// (ReasonTenantNotFound, ReasonNotDataTenant, ReasonNoS3Service).
func (s *Service) AdminUser(ctx context.Context, tenant, admin string) (User, error) {
	var u User
	var ok bool
	if err := s.view(ctx, "read admin user", func(tx kv.Reader) error {
		var err error
		u, ok, err = linkedAdminUser(tx, tenant, admin)
		return err
	}); err != nil {
		return User{}, err
	}
	if ok {
		return u, nil
	}
	created := false
	ak, sk := NewAWSKeyPair()
	err := s.update(ctx, "link admin user", func(tx kv.Txn) error {
		created = false
		if ok, err := kv.GetJSON(tx, key('a', admin), &adminRecord{}); err != nil {
			return err
		} else if !ok {
			return fail(errs.NotFound, ReasonAdminNotFound, "name", "There is no administrator %q.", admin)
		}
		var found bool
		var err error
		if u, found, err = linkedAdminUser(tx, tenant, admin); err != nil || found {
			return err
		}
		t, svc, err := requireService(tx, tenant)
		if err != nil {
			return err
		}
		u, found, err = getUser(tx, tenant, admin)
		if err != nil {
			return err
		}
		if !found {
			if u, _, err = s.createUserTx(tx, t, svc, CreateUserInput{Tenant: tenant, Name: admin,
				Comment: "Commvault administrator", AccessKey: ak, SecretKey: sk}, false); err != nil {
				return err
			}
			created = true
		}
		return kv.SetJSON(tx, adminUserKey(tenant, admin), &adminUserRecord{Schema: adminUserSchema, Tenant: tenant,
			Admin: admin, UserID: u.ID, UserUUID: u.UUID, Linked: s.now().UTC()})
	})
	if err != nil {
		return User{}, err
	}
	if created {
		s.identChanged()
	}
	return u, nil
}

// linkedAdminUser reads the linked user of an account, if it still exists.
func linkedAdminUser(tx kv.Reader, tenant, admin string) (User, bool, error) {
	var rec adminUserRecord
	ok, err := kv.GetJSON(tx, adminUserKey(tenant, admin), &rec)
	if err != nil || !ok {
		return User{}, false, err
	}
	ref, err := tx.Get(key32('r', rec.UserID))
	if errIsNotFound(err) {
		return User{}, false, nil
	} else if err != nil {
		return User{}, false, err
	}
	t, name := splitRef(ref)
	u, ok, err := getUser(tx, t, name)
	if err != nil || !ok || u.UUID != rec.UserUUID {
		return User{}, false, err
	}
	return u, true, nil
}

// adminOfUser returns the management account a user stands for ("" for
// none): a link whose account still exists.
func adminOfUser(tx kv.Reader, u User) (string, error) {
	var rec adminUserRecord
	ok, err := kv.GetJSON(tx, adminUserKey(u.Tenant, u.Name), &rec)
	if err != nil || !ok || rec.UserUUID != u.UUID {
		return "", err
	}
	if ok, err := kv.GetJSON(tx, key('a', rec.Admin), &adminRecord{}); err != nil || !ok {
		return "", err
	}
	return rec.Admin, nil
}

// AdminOfUser returns the management account a user stands for, "" when
// it is an ordinary user.
func (s *Service) AdminOfUser(ctx context.Context, u User) (string, error) {
	var name string
	err := s.view(ctx, "read admin link", func(tx kv.Reader) error {
		var err error
		name, err = adminOfUser(tx, u)
		return err
	})
	return name, err
}

// SetUserEnabled enables or disables a user (Commvault PUT
// /user/{id}/enable|disable). A disabled user's access keys stop working
// on S3 at the next request (Credential refuses them, as unknown keys),
// it cannot log in to the management plane, and its sessions end. The
// keys are kept: enabling the user makes them work again. The tenant's
// root user and an administrator's user cannot be disabled
// (ReasonRootUser, ReasonAdminUser).
func (s *Service) SetUserEnabled(ctx context.Context, tenant, name string, enabled bool) (User, error) {
	var u User
	err := s.update(ctx, "enable user", func(tx kv.Txn) error {
		var err error
		if _, u, err = serviceUser(tx, tenant, name); err != nil {
			return err
		}
		if !enabled {
			if u.Root {
				return fail(errs.InvalidArgument, ReasonRootUser, "name", "The root user cannot be disabled.")
			}
			if a, err := adminOfUser(tx, u); err != nil {
				return err
			} else if a != "" {
				return fail(errs.InUse, ReasonAdminUser, "name", "User %q is administrator %q: it cannot be disabled.", u.Name, a)
			}
		}
		if u.Disabled == !enabled {
			return nil
		}
		u.Disabled = !enabled
		return putUser(tx, &u)
	})
	if err != nil {
		return User{}, err
	}
	s.identChanged()
	if !enabled {
		if err := s.EndUserSessions(ctx, u.ID); err != nil {
			return User{}, err
		}
	}
	return u, nil
}

// userDisabled reports whether the user of an access key is disabled.
func userDisabled(tx kv.Reader, tenant, name string) (bool, error) {
	u, ok, err := getUser(tx, tenant, name)
	return ok && u.Disabled, err
}

package core

import (
	"context"
	"crypto/rand"
	"errors"
	"sort"
	"strconv"
	"strings"
	"time"

	"coffer/internal/errs"
	"coffer/internal/kv"
	"coffer/internal/uuid"
)

// TenantType is data (ONTAP data SVM: holds S3 services, users, buckets) or
// admin (the cluster's admin SVM: never listed, nothing S3 on it).
type TenantType string

// Tenant types.
const (
	TenantData  TenantType = "data"
	TenantAdmin TenantType = "admin"
)

// TenantState is an SVM's state (ONTAP svm.state). Only running tenants
// serve S3 requests.
type TenantState string

// Tenant states (ONTAP's enumeration).
const (
	TenantRunning      TenantState = "running"
	TenantStopped      TenantState = "stopped"
	TenantStarting     TenantState = "starting"
	TenantStopping     TenantState = "stopping"
	TenantDeleting     TenantState = "deleting"
	TenantInitializing TenantState = "initializing"
)

// TenantSubtype is ONTAP's svm.subtype.
type TenantSubtype string

// Tenant subtypes (ONTAP's enumeration).
const (
	SubtypeDefault         TenantSubtype = "default"
	SubtypeDPDestination   TenantSubtype = "dp_destination"
	SubtypeSyncSource      TenantSubtype = "sync_source"
	SubtypeSyncDestination TenantSubtype = "sync_destination"
	SubtypeDataEngine      TenantSubtype = "data_engine"
)

// Tenant is an isolated namespace of users and buckets: an ONTAP SVM, a
// Commvault company. Its UUID is the namespace every bucket of its users is
// looked up in (Principal.Tenant).
type Tenant struct {
	// Schema is the record's schema version (3; 2 lacked Language and the
	// fields after it, 1 every field after Name).
	Schema int `json:"_v"`
	// UUID identifies the tenant: ONTAP svm.uuid.
	UUID string `json:"id"`
	// ID is the int id (a Commvault company id).
	ID int32 `json:"num,omitempty"`
	// Name is unique among tenants: ONTAP svm.name.
	Name string `json:"name"`
	// Type is data or admin.
	Type TenantType `json:"type,omitempty"`
	// State is ONTAP's svm.state; S3 requests are served only when running.
	State TenantState `json:"state,omitempty"`
	// Subtype is ONTAP's svm.subtype.
	Subtype TenantSubtype `json:"subtype,omitempty"`
	// Comment is free text, 0..255 characters.
	Comment string `json:"comment,omitempty"`
	// Language is ONTAP's svm.language, lower case with "_" (c.utf_8 by
	// default); Coffer stores object names as UTF-8 whatever it says.
	Language string `json:"lang,omitempty"`
	// SnapshotPolicy is ONTAP's svm.snapshot_policy.name: one of the
	// built-in policies (SnapshotPolicies); Coffer takes no snapshots.
	SnapshotPolicy string `json:"snap,omitempty"`
	// MaxVolumes is ONTAP's svm.max_volumes: "unlimited" or a decimal count.
	MaxVolumes string `json:"maxvol,omitempty"`
	// IPspace is ONTAP's svm.ipspace.name: always "Default" (Coffer has one).
	IPspace string `json:"ipspace,omitempty"`
	// Aggregates are ONTAP's svm.aggregates names: always empty, as
	// Coffer has no aggregates (its data directory holds every bucket).
	Aggregates []string  `json:"aggrs,omitempty"`
	Created    time.Time `json:"created"`
}

// IsData reports whether S3 services, users and buckets may live here.
func (t Tenant) IsData() bool { return t.Type == TenantData }

// Tenant settings' defaults (ONTAP's for a new SVM).
const (
	DefaultLanguage       = "c.utf_8"
	DefaultSnapshotPolicy = "default"
	DefaultIPspace        = "Default"
	UnlimitedVolumes      = "unlimited"
)

// SnapshotPolicies are the snapshot policies an SVM may name: ONTAP's
// built-in ones.
var SnapshotPolicies = []string{"default", "default-1weekly", "none"}

// languages are ONTAP's SVM languages (na_ontap_svm's list; most also
// take a ".utf_8" suffix).
var languages = map[string]bool{"c": true, "ar": true, "cs": true, "da": true, "de": true, "en": true,
	"en_us": true, "es": true, "fi": true, "fr": true, "he": true, "hr": true, "hu": true, "it": true,
	"ja": true, "ja_v1": true, "ja_jp.pck": true, "ja_jp.932": true, "ja_jp.pck_v2": true, "ko": true,
	"no": true, "nl": true, "pl": true, "pt": true, "ro": true, "ru": true, "sk": true, "sl": true,
	"sv": true, "tr": true, "zh": true, "zh.gbk": true, "zh_tw": true, "zh_tw.big5": true, "utf8mb4": true}

// NormalizeLanguage returns a language in ONTAP's stored form (lower case,
// "-" as "_": C.UTF-8 is c.utf_8), or an error when ONTAP has no such
// language.
func NormalizeLanguage(lang string) (string, error) {
	l := strings.ReplaceAll(strings.ToLower(strings.TrimSpace(lang)), "-", "_")
	base := strings.TrimSuffix(l, ".utf_8")
	if !languages[base] || (l != base && base == "utf8mb4") {
		return "", fail(errs.InvalidArgument, ReasonTenantSettingBad, "language", "%q is not a supported SVM language", lang)
	}
	return l, nil
}

func validateSnapshotPolicy(p string) error {
	for _, x := range SnapshotPolicies {
		if p == x {
			return nil
		}
	}
	return fail(errs.InvalidArgument, ReasonTenantSettingBad, "snapshot_policy",
		"snapshot policy %q does not exist; the policies are %s", p, strings.Join(SnapshotPolicies, ", "))
}

// normalizeMaxVolumes accepts "unlimited" or a count 0..2147483647.
func normalizeMaxVolumes(v string) (string, error) {
	if strings.EqualFold(v, UnlimitedVolumes) {
		return UnlimitedVolumes, nil
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil || n < 0 {
		return "", fail(errs.InvalidArgument, ReasonTenantSettingBad, "max_volumes",
			"max_volumes must be \"unlimited\" or a non-negative integer, not %q", v)
	}
	return strconv.FormatInt(n, 10), nil
}

func validateIPspace(name string) error {
	if name != DefaultIPspace {
		return fail(errs.InvalidArgument, ReasonTenantSettingBad, "ipspace.name",
			"IPspace %q does not exist; Coffer has only the %q IPspace", name, DefaultIPspace)
	}
	return nil
}

func validateAggregates(names []string) error {
	if len(names) > 0 {
		return fail(errs.InvalidArgument, ReasonTenantSettingBad, "aggregates",
			"aggregate %q does not exist; Coffer has no aggregates (its data directory holds every bucket)", names[0])
	}
	return nil
}

const tenantSchema = 3

// migrateTenant brings a decoded record to the current schema.
func migrateTenant(t *Tenant) {
	if t.Schema < tenantSchema {
		t.Schema = tenantSchema
	}
	if t.Language == "" {
		t.Language = DefaultLanguage
	}
	if t.SnapshotPolicy == "" {
		t.SnapshotPolicy = DefaultSnapshotPolicy
	}
	if t.MaxVolumes == "" {
		t.MaxVolumes = UnlimitedVolumes
	}
	if t.IPspace == "" {
		t.IPspace = DefaultIPspace
	}
	if t.Type == "" {
		t.Type = TenantData
	}
	if t.State == "" {
		t.State = TenantRunning
	}
	if t.Subtype == "" {
		t.Subtype = SubtypeDefault
	}
}

// CreateTenantInput creates a data tenant (POST /api/svm/svms).
type CreateTenantInput struct {
	// Name: 1..64 characters of [A-Za-z0-9_.-], starting with a letter or
	// digit, unique among tenants.
	Name    string
	Comment string
	// Subtype defaults to "default"; State defaults to "running".
	Subtype TenantSubtype
	State   TenantState
	// Language, SnapshotPolicy, MaxVolumes and IPspace default to ONTAP's
	// defaults (c.utf_8, default, unlimited, Default); Aggregates must be
	// empty.
	Language, SnapshotPolicy, MaxVolumes, IPspace string
	Aggregates                                    []string
}

// TenantPatch changes a tenant (PATCH /api/svm/svms/{uuid}); nil fields stay.
type TenantPatch struct {
	Name           *string
	Comment        *string
	State          *TenantState
	Language       *string
	SnapshotPolicy *string
	MaxVolumes     *string
	Aggregates     *[]string
}

func validateTenantName(name string) error {
	if len(name) < 1 || len(name) > 64 {
		return fail(errs.InvalidArgument, ReasonTenantNameInvalid, "name", "SVM names must be 1 to 64 characters long")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(isAlnum(c) || c == '_' || c == '.' || c == '-') || i == 0 && !isAlnum(c) {
			return fail(errs.InvalidArgument, ReasonTenantNameInvalid, "name",
				"SVM names contain only letters, digits, \"_\", \".\" and \"-\", and start with a letter or digit")
		}
	}
	return nil
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func validateTenantState(st TenantState) error {
	switch st {
	case TenantRunning, TenantStopped, TenantStarting, TenantStopping, TenantDeleting, TenantInitializing:
		return nil
	}
	return fail(errs.InvalidArgument, ReasonTenantStateBad, "state", "unknown SVM state %q", st)
}

func validateSubtype(st TenantSubtype) error {
	switch st {
	case SubtypeDefault, SubtypeDPDestination, SubtypeSyncSource, SubtypeSyncDestination, SubtypeDataEngine:
		return nil
	}
	return fail(errs.InvalidArgument, ReasonTenantStateBad, "subtype", "unknown SVM subtype %q", st)
}

func checkComment(c string, max int) error {
	if len([]rune(c)) > max {
		return fail(errs.InvalidArgument, ReasonCommentTooLong, "comment", "comments are at most %d characters long", max)
	}
	return nil
}

func tenantNotFound() error {
	return fail(errs.NotFound, ReasonTenantNotFound, "svm.uuid", "entry doesn't exist")
}

// getTenant reads a tenant by uuid inside a transaction.
func getTenant(tx kv.Reader, id string) (Tenant, error) {
	var t Tenant
	ok, err := kv.GetJSON(tx, key('t', id), &t)
	if err != nil {
		return Tenant{}, err
	}
	if !ok || id == "" {
		return Tenant{}, tenantNotFound()
	}
	migrateTenant(&t)
	return t, nil
}

// dataTenant reads a tenant and requires it to be a data tenant.
func dataTenant(tx kv.Reader, id string) (Tenant, error) {
	t, err := getTenant(tx, id)
	if err != nil {
		return t, err
	}
	if !t.IsData() {
		return t, fail(errs.InvalidArgument, ReasonNotDataTenant, "svm.uuid",
			"SVM %q is not a data SVM. Specify a data SVM.", t.Name)
	}
	return t, nil
}

func putTenant(tx kv.Txn, t *Tenant) error {
	t.Schema = tenantSchema
	if err := kv.SetJSON(tx, key('t', t.UUID), t); err != nil {
		return err
	}
	if err := kv.SetJSON(tx, key('n', t.Name), t.UUID); err != nil {
		return err
	}
	if t.ID != 0 {
		return kv.SetJSON(tx, key32('m', t.ID), t.UUID)
	}
	return nil
}

// createTenant inserts a tenant record and its indexes.
func (s *Service) createTenant(tx kv.Txn, name, comment string, typ TenantType, sub TenantSubtype, st TenantState) (Tenant, error) {
	return s.insertTenant(tx, Tenant{Name: name, Comment: comment, Type: typ, State: st, Subtype: sub})
}

// insertTenant inserts t (its UUID, ID and Created are assigned) and its
// indexes.
func (s *Service) insertTenant(tx kv.Txn, t Tenant) (Tenant, error) {
	if err := tenantNameFree(tx, t.Name); err != nil {
		return Tenant{}, err
	}
	id, err := nextID32(tx, "tenant")
	if err != nil {
		return Tenant{}, err
	}
	t.UUID, t.ID, t.Created = uuid.New(), id, s.now().UTC()
	migrateTenant(&t)
	return t, putTenant(tx, &t)
}

func tenantNameFree(tx kv.Reader, name string) error {
	var other string
	if ok, err := kv.GetJSON(tx, key('n', name), &other); err != nil {
		return err
	} else if ok {
		return fail(errs.AlreadyExists, ReasonTenantExists, "name", "an SVM named %q already exists", name)
	}
	return nil
}

// checkCreateTenant validates in and fills its defaults.
func checkCreateTenant(in *CreateTenantInput) error {
	if err := validateTenantName(in.Name); err != nil {
		return err
	}
	if err := checkComment(in.Comment, 255); err != nil {
		return err
	}
	if in.Subtype == "" {
		in.Subtype = SubtypeDefault
	}
	if in.State == "" {
		in.State = TenantRunning
	}
	if in.Language == "" {
		in.Language = DefaultLanguage
	}
	if in.SnapshotPolicy == "" {
		in.SnapshotPolicy = DefaultSnapshotPolicy
	}
	if in.MaxVolumes == "" {
		in.MaxVolumes = UnlimitedVolumes
	}
	if in.IPspace == "" {
		in.IPspace = DefaultIPspace
	}
	var err error
	if in.Language, err = NormalizeLanguage(in.Language); err != nil {
		return err
	}
	if in.MaxVolumes, err = normalizeMaxVolumes(in.MaxVolumes); err != nil {
		return err
	}
	return errors.Join(validateSubtype(in.Subtype), validateTenantState(in.State),
		validateSnapshotPolicy(in.SnapshotPolicy), validateIPspace(in.IPspace), validateAggregates(in.Aggregates))
}

// CheckCreateTenant reports, without creating anything, the error
// CreateTenant would return for in when nothing changes meanwhile (the
// ONTAP adapter answers it before starting the creation job).
func (s *Service) CheckCreateTenant(ctx context.Context, in CreateTenantInput) error {
	if err := checkCreateTenant(&in); err != nil {
		return firstError(err)
	}
	return s.view(ctx, "check tenant name", func(tx kv.Reader) error { return tenantNameFree(tx, in.Name) })
}

// firstError returns the first error joined in err (a rule reports one
// error, as ONTAP does).
func firstError(err error) error {
	if j, ok := err.(interface{ Unwrap() []error }); ok && len(j.Unwrap()) > 0 {
		return j.Unwrap()[0]
	}
	return err
}

// CreateTenant creates a data tenant (ONTAP POST /api/svm/svms; a Commvault
// company).
func (s *Service) CreateTenant(ctx context.Context, in CreateTenantInput) (Tenant, error) {
	if err := checkCreateTenant(&in); err != nil {
		return Tenant{}, firstError(err)
	}
	var t Tenant
	err := s.update(ctx, "create tenant", func(tx kv.Txn) error {
		var err error
		t, err = s.insertTenant(tx, Tenant{Name: in.Name, Comment: in.Comment, Type: TenantData,
			State: in.State, Subtype: in.Subtype, Language: in.Language, SnapshotPolicy: in.SnapshotPolicy,
			MaxVolumes: in.MaxVolumes, IPspace: in.IPspace})
		return err
	})
	if err != nil {
		return Tenant{}, err
	}
	s.identChanged()
	return t, nil
}

// GetTenant returns a tenant by uuid, the admin tenant included (ONTAP
// GET /api/svm/svms/{uuid} answers 404 for it: check Tenant.IsData).
func (s *Service) GetTenant(ctx context.Context, uuid string) (Tenant, error) {
	return viewGet(s, ctx, "get tenant", func(tx kv.Reader) (Tenant, error) { return getTenant(tx, uuid) })
}

// GetTenantByName returns a tenant by name (ONTAP svm.name), the admin
// tenant included.
func (s *Service) GetTenantByName(ctx context.Context, name string) (Tenant, error) {
	return viewGet(s, ctx, "get tenant", func(tx kv.Reader) (Tenant, error) {
		return tenantByIndex(tx, key('n', name), "svm.name")
	})
}

// GetTenantByID returns a tenant by its int id (a Commvault company id).
func (s *Service) GetTenantByID(ctx context.Context, id int32) (Tenant, error) {
	return viewGet(s, ctx, "get tenant", func(tx kv.Reader) (Tenant, error) {
		return tenantByIndex(tx, key32('m', id), "id")
	})
}

// tenantByIndex reads the tenant an index record (name or int id → uuid)
// points to; field is the input a missing entry is blamed on.
func tenantByIndex(tx kv.Reader, index []byte, field string) (Tenant, error) {
	var uuid string
	if ok, err := kv.GetJSON(tx, index, &uuid); err != nil {
		return Tenant{}, err
	} else if !ok {
		return Tenant{}, fail(errs.NotFound, ReasonTenantNotFound, field, "entry doesn't exist")
	}
	return getTenant(tx, uuid)
}

// ListTenants returns the data tenants in name order (ONTAP GET
// /api/svm/svms: the admin tenant is never listed).
func (s *Service) ListTenants(ctx context.Context) ([]Tenant, error) {
	var out []Tenant
	err := s.view(ctx, "list tenants", func(tx kv.Reader) error {
		out = nil
		return scan(tx, []byte{'t'}, func(_, v []byte) error {
			var t Tenant
			if err := jsonUnmarshal(v, &t); err != nil {
				return err
			}
			migrateTenant(&t)
			if t.IsData() {
				out = append(out, t)
			}
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, err
}

// checkTenantPatch validates p, normalizing its values.
func checkTenantPatch(p *TenantPatch) error {
	if p.Name != nil {
		if err := validateTenantName(*p.Name); err != nil {
			return err
		}
	}
	if p.Comment != nil {
		if err := checkComment(*p.Comment, 255); err != nil {
			return err
		}
	}
	if p.State != nil {
		if err := validateTenantState(*p.State); err != nil {
			return err
		}
	}
	if p.Language != nil {
		l, err := NormalizeLanguage(*p.Language)
		if err != nil {
			return err
		}
		p.Language = &l
	}
	if p.SnapshotPolicy != nil {
		if err := validateSnapshotPolicy(*p.SnapshotPolicy); err != nil {
			return err
		}
	}
	if p.MaxVolumes != nil {
		m, err := normalizeMaxVolumes(*p.MaxVolumes)
		if err != nil {
			return err
		}
		p.MaxVolumes = &m
	}
	if p.Aggregates != nil {
		return validateAggregates(*p.Aggregates)
	}
	return nil
}

// CheckUpdateTenant reports the error UpdateTenant would return for p on
// the tenant uuid when nothing changes meanwhile.
func (s *Service) CheckUpdateTenant(ctx context.Context, uuid string, p TenantPatch) error {
	if err := checkTenantPatch(&p); err != nil {
		return err
	}
	return s.view(ctx, "check tenant update", func(tx kv.Reader) error {
		t, err := dataTenant(tx, uuid)
		if err != nil {
			return err
		}
		if p.Name != nil && *p.Name != t.Name {
			return tenantNameFree(tx, *p.Name)
		}
		return nil
	})
}

// UpdateTenant changes a data tenant's name, comment, state or settings.
// Stopping a tenant makes its users' S3 requests fail with AccessDenied.
func (s *Service) UpdateTenant(ctx context.Context, uuid string, p TenantPatch) (Tenant, error) {
	if err := checkTenantPatch(&p); err != nil {
		return Tenant{}, err
	}
	var t Tenant
	err := s.update(ctx, "update tenant", func(tx kv.Txn) error {
		var err error
		if t, err = dataTenant(tx, uuid); err != nil {
			return err
		}
		if p.Name != nil && *p.Name != t.Name {
			if err := tenantNameFree(tx, *p.Name); err != nil {
				return err
			}
			if err := tx.Delete(key('n', t.Name)); err != nil {
				return err
			}
			t.Name = *p.Name
		}
		if p.Comment != nil {
			t.Comment = *p.Comment
		}
		if p.State != nil {
			t.State = *p.State
		}
		if p.Language != nil {
			t.Language = *p.Language
		}
		if p.SnapshotPolicy != nil {
			t.SnapshotPolicy = *p.SnapshotPolicy
		}
		if p.MaxVolumes != nil {
			t.MaxVolumes = *p.MaxVolumes
		}
		if p.Aggregates != nil {
			t.Aggregates = nil // always empty (validateAggregates)
		}
		return putTenant(tx, &t)
	})
	if err != nil {
		return Tenant{}, err
	}
	s.identChanged()
	return t, nil
}

// tenantDeletable returns the data tenant uuid when it has no S3 service.
func tenantDeletable(tx kv.Reader, uuid string) (Tenant, error) {
	t, err := dataTenant(tx, uuid)
	if err != nil {
		return t, err
	}
	if ok, err := kv.GetJSON(tx, key('s', uuid), &S3Service{}); err != nil {
		return t, err
	} else if ok {
		return t, fail(errs.InUse, ReasonTenantInUse, "svm.uuid", "delete the SVM's S3 service first")
	}
	return t, nil
}

func (s *Service) tenantHasBuckets(ctx context.Context, uuid string) error {
	buckets, err := s.obj.ListBuckets(ctx, objectsListAll(uuid, 1))
	if err != nil {
		return err
	}
	if len(buckets.Buckets) > 0 {
		return fail(errs.InUse, ReasonTenantInUse, "svm.uuid", "the SVM still has buckets")
	}
	return nil
}

// CheckDeleteTenant reports the error DeleteTenant would return when
// nothing changes meanwhile.
func (s *Service) CheckDeleteTenant(ctx context.Context, uuid string) error {
	if err := s.tenantHasBuckets(ctx, uuid); err != nil {
		return err
	}
	return s.view(ctx, "check tenant delete", func(tx kv.Reader) error {
		_, err := tenantDeletable(tx, uuid)
		return err
	})
}

// DeleteTenant deletes a data tenant that has no S3 service and no bucket
// (InUse, ReasonTenantInUse otherwise).
func (s *Service) DeleteTenant(ctx context.Context, uuid string) error {
	if err := s.tenantHasBuckets(ctx, uuid); err != nil {
		return err
	}
	err := s.update(ctx, "delete tenant", func(tx kv.Txn) error {
		t, err := tenantDeletable(tx, uuid)
		if err != nil {
			return err
		}
		// Users, keys, groups and policies go with the tenant.
		if err := s.deleteTenantIdentities(tx, uuid); err != nil {
			return err
		}
		for _, k := range [][]byte{key('t', uuid), key('n', t.Name), key32('m', t.ID)} {
			if err := tx.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.identChanged()
	return nil
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (Go 1.24+: crypto/rand panics instead)
	return b
}

package kms

import (
	"encoding/json"
	"fmt"
	"time"
)

// Persistence. Every KMS record lives in kv under the upper-case namespace
// 'K' (the object layer uses other upper-case bytes, the core lower-case
// ones), JSON with a schema version "_v":
//
//	'K' 'c'            checkRecord: proves which master key keyed this store
//	'K' 'k' keyID      keyRecord: a named key, its state and wrapped versions
//	'K' 'a' alias      keyID (alias index)
//
// The master key is never stored in kv; only a keyed check value derived
// from it is, so a wrong master key is refused at startup instead of
// producing garbage.
const ns = 'K'

const (
	checkSchema = 1
	keySchema   = 1
)

func checkKey() []byte           { return []byte{ns, 'c'} }
func keyRecKey(id string) []byte { return append([]byte{ns, 'k'}, id...) }
func aliasKey(a string) []byte   { return append([]byte{ns, 'a'}, a...) }

// checkRecord identifies the master key that keyed the store.
type checkRecord struct {
	Schema int `json:"_v"`
	// Check is HMAC-SHA256 under the master-derived check key of a fixed
	// label: equal only for the same master key, useless for finding it.
	Check []byte `json:"check"`
	// Created is when the store was first keyed.
	Created time.Time `json:"created"`
}

// keyRecord is a named KMS key.
type keyRecord struct {
	Schema int `json:"_v"`
	// ID is the key's identifier: a UUID, or DefaultKeyID for the built-in key.
	ID string `json:"id"`
	// Alias is the key's optional name, without AWS's "alias/" prefix.
	Alias string `json:"alias,omitempty"`
	// Description is free text for operators.
	Description string `json:"description,omitempty"`
	// Enabled is false for a disabled key: it neither seals nor opens.
	Enabled bool `json:"enabled"`
	// Created is the key's creation time.
	Created time.Time `json:"created"`
	// Current is the version new data keys are sealed under.
	Current uint32 `json:"current"`
	// Versions holds every version ever made, oldest first; data keys
	// sealed under an old version still open after a rotation.
	Versions []keyVersion `json:"versions"`
}

// keyVersion is one version of a named key.
type keyVersion struct {
	// Version numbers start at 1 and grow by one per rotation.
	Version uint32 `json:"v"`
	// Created is when this version was made (by creation or rotation).
	Created time.Time `json:"created"`
	// Wrapped is the version's 32-byte key sealed with AES-256-GCM under
	// the master-derived wrap key: nonce(12) ‖ ciphertext ‖ tag, with
	// associated data binding it to the key id and version.
	Wrapped []byte `json:"wrapped"`
}

func (r *keyRecord) version(v uint32) (keyVersion, bool) {
	for _, kv := range r.Versions {
		if kv.Version == v {
			return kv, true
		}
	}
	return keyVersion{}, false
}

func decodeKey(b []byte) (keyRecord, error) {
	var r keyRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("kms: key record: %w", err)
	}
	if r.Schema != keySchema {
		return r, fmt.Errorf("kms: key record %q has unknown schema %d", r.ID, r.Schema)
	}
	return r, nil
}

func decodeCheck(b []byte) (checkRecord, error) {
	var r checkRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("kms: check record: %w", err)
	}
	if r.Schema != checkSchema {
		return r, fmt.Errorf("kms: check record has unknown schema %d", r.Schema)
	}
	return r, nil
}

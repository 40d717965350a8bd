package core

import (
	"encoding/binary"
)

// The records of plans, nodes, vaults, management sessions and user
// profiles live in kv under the one namespace 'v', each kind under its own
// second byte (so they never meet the core's other one-byte namespaces):
//
//	'v' 'A' tenant 0x00 adminName      adminUserRecord (the user a management account is, adminusers.go)
//	'v' 'R' sha256(refreshToken)       access token id (accesstokens.go)
//	'v' 'T' tokenID(8)                 accessTokenRecord (name, owner, lifetime, token hashes)
//	'v' 'a' "aging"                    the last data-aging run, a lease (internal/vaults)
//	'v' 'b' tenant 0x00 bucketName     vaults.Record (plan, owners, groups, endpoints)
//	'v' 'j' jobID(8)                   the clients a job concerns, its kill request (internal/vaults)
//	'v' 'l' loginName                  loginRecord (failed logins of earlier versions; pruned)
//	'v' 'n' nodeID(4)                  Node
//	'v' 'N' nodeName                   node id (name index)
//	'v' 'p' planID(4)                  Plan (internal/vaults)
//	'v' 'P' planName                   plan id (name index, internal/vaults)
//	'v' 's' sha256(token)              sessionRecord
//	'v' 'w' userID(4)                  profileRecord (email, full name, password hash)
//
// Int ids of plans and nodes come from the core's counters ('i' "plan",
// 'i' "node"). Every record carries a schema version "_v" like the others.
const nsVault = 'v'

// vkey builds a key in the 'v' namespace: sub, then parts joined by 0x00.
func vkey(sub byte, parts ...string) []byte {
	b := []byte{nsVault, sub}
	for i, p := range parts {
		if i > 0 {
			b = append(b, 0)
		}
		b = append(b, p...)
	}
	return b
}

func vkey32(sub byte, n int32) []byte {
	return binary.BigEndian.AppendUint32([]byte{nsVault, sub}, uint32(n))
}

func vkey64(sub byte, n int64) []byte {
	return binary.BigEndian.AppendUint64([]byte{nsVault, sub}, uint64(n))
}

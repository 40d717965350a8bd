package core

import (
	"context"
	"encoding/json"
	"time"

	"coffer/internal/kv"
	"coffer/internal/objects"
	"coffer/internal/uuid"
)

// ClusterInfo is what GET /api/cluster shows.
type ClusterInfo struct {
	// Name is the cluster's name; the admin tenant carries it too.
	Name string
	// UUID identifies the cluster; fixed at the first start.
	UUID string
	// Version is the running software version.
	Version string
	// AdminTenant is the uuid of the admin tenant (ONTAP's admin SVM).
	AdminTenant string
	// Created is the first start.
	Created time.Time
}

// clusterRecord is the persisted part of ClusterInfo.
type clusterRecord struct {
	Schema      int       `json:"_v"`
	Name        string    `json:"name"`
	UUID        string    `json:"uuid"`
	AdminTenant string    `json:"admin"`
	Created     time.Time `json:"created"`
}

// initCluster creates the cluster record and the admin tenant on a fresh
// store and loads them otherwise.
func (s *Service) initCluster(ctx context.Context) error {
	return s.update(ctx, "init cluster", func(tx kv.Txn) error {
		var c clusterRecord
		ok, err := kv.GetJSON(tx, key('c', "cluster"), &c)
		if err != nil {
			return err
		}
		if ok {
			s.cluster = c
			return nil
		}
		admin, err := s.createTenant(tx, s.opts.ClusterName, "", TenantAdmin, SubtypeDefault, TenantRunning)
		if err != nil {
			return err
		}
		c = clusterRecord{Schema: 1, Name: s.opts.ClusterName, UUID: uuid.New(), AdminTenant: admin.UUID,
			Created: s.now().UTC()}
		s.cluster = c
		return kv.SetJSON(tx, key('c', "cluster"), &c)
	})
}

// Cluster returns the cluster's identity (ONTAP GET /api/cluster).
func (s *Service) Cluster(ctx context.Context) (ClusterInfo, error) {
	c := s.cluster
	return ClusterInfo{Name: c.Name, UUID: c.UUID, Version: s.opts.Version, AdminTenant: c.AdminTenant,
		Created: c.Created}, nil
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// objectsListAll lists up to max (0: all) buckets of a tenant.
func objectsListAll(tenant string, max int) objects.ListBucketsInput {
	return objects.ListBucketsInput{Tenant: tenant, MaxBuckets: max}
}

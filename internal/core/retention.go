package core

import (
	"context"
	"time"

	"coffer/internal/vaults"
)

// Data aging (Commvault's name for pruning what retention no longer
// protects) is internal/vaults' (vaults.AgeVault, vaults.StartDataAging):
// once a version has been noncurrent for its plan's RetentionDays, a
// data-aging job deletes it.

type (
	// AgingResult counts what one vault's aging did.
	AgingResult = vaults.AgingResult
	// DataAgingInput schedules data aging.
	DataAgingInput = vaults.DataAgingInput
)

// AgeVault deletes the versions of a bucket that have been noncurrent for
// keep or longer (and expired delete markers). check is called between
// pages; its error stops the work.
func (s *Service) AgeVault(ctx context.Context, tenant, bucket string, keep time.Duration, check func() error) (AgingResult, error) {
	return s.vaults.AgeVault(ctx, tenant, bucket, keep, check)
}

// StartDataAging submits a data-aging job ("Data Aging") over every vault
// that has a plan, when the last run (by any node) is at least Every old
// and some vault has a plan; started is false otherwise. The run is
// claimed in one transaction, so nodes sharing the store do not run it
// twice.
func (s *Service) StartDataAging(ctx context.Context, in DataAgingInput) (job Job, started bool, err error) {
	return s.vaults.StartDataAging(ctx, in)
}

// VaultUpkeep deletes what the vault plane no longer needs: expired
// sessions, old failed-login records, the metadata of jobs the core has
// dropped, and vault records whose bucket was deleted (through S3 or
// ONTAP). Nodes call it now and then.
func (s *Service) VaultUpkeep(ctx context.Context) error {
	if err := s.pruneSessions(ctx); err != nil {
		return err
	}
	if err := s.pruneLogins(ctx); err != nil {
		return err
	}
	if err := s.pruneJobMeta(ctx); err != nil {
		return err
	}
	if err := s.pruneAccessTokens(ctx); err != nil {
		return err
	}
	if err := s.UpgradeVaultRoles(ctx); err != nil {
		return err
	}
	return s.vaults.PruneRecords(ctx)
}

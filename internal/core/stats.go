package core

// CredentialCacheStats returns how many access-key lookups (Credential)
// the cache answered and how many read the store, since New.
func (s *Service) CredentialCacheStats() (hits, misses uint64) {
	return s.credHits.Load(), s.credMisses.Load()
}

package core

// SimulateCrash stops this node's job work as a kill -9 would: its job
// leases are no longer renewed and its jobs write nothing more; other
// nodes sharing the store take them over once the leases expire.
func (s *Service) SimulateCrash() { s.jobs.crash() }

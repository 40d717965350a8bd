package blob

// Commit orders, for the benchmarks that compare them (bench_test.go).
const (
	OrderRenameFirst = int(orderRenameFirst)
	OrderSyncFirst   = int(orderSyncFirst)
)

// SetCommitOrder makes s commit with order o (one of the Order constants);
// call it before the first Create.
func SetCommitOrder(s *Store, o int) { s.order = commitOrder(o) }

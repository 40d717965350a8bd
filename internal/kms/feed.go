package kms

// ForgetCachedKeys drops every cached named key, as a local change does.
// The core calls it when its change feed reports that another node changed
// key records ('K'), so a disabled or rotated key is read afresh.
func (l *Local) ForgetCachedKeys() { l.changed() }

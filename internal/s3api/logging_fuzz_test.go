package s3api

import (
	"bytes"
	"testing"

	"coffer/internal/errs"
)

// FuzzParseLoggingStatus feeds arbitrary PutBucketLogging bodies to the
// parser: it never panics, refuses only with MalformedXML, and what it
// accepts and stores (re-encoded) parses again to the same configuration.
func FuzzParseLoggingStatus(f *testing.F) {
	f.Add([]byte(`<BucketLoggingStatus/>`))
	f.Add([]byte(`<BucketLoggingStatus><LoggingEnabled><TargetBucket>logs</TargetBucket><TargetPrefix>p/</TargetPrefix><TargetGrants><Grant><Grantee><ID>x</ID></Grantee><Permission>READ</Permission></Grant></TargetGrants><TargetObjectKeyFormat><PartitionedPrefix><PartitionDateSource>EventTime</PartitionDateSource></PartitionedPrefix></TargetObjectKeyFormat></LoggingEnabled></BucketLoggingStatus>`))
	f.Add([]byte(`<BucketLoggingStatus><LoggingEnabled><TargetBucket>l</TargetBucket><TargetObjectKeyFormat><SimplePrefix/></TargetObjectKeyFormat></LoggingEnabled></BucketLoggingStatus>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		le, c, err := parseLoggingStatus(data)
		if err != nil {
			if errs.KindOf(err) != errs.MalformedXML {
				t.Fatalf("refused with %v: %v", errs.KindOf(err), err)
			}
			return
		}
		if c == nil {
			return
		}
		stored, err := encodeXML(loggingStatusOutXML{LoggingEnabled: le})
		if err != nil {
			return // innerxml that encoding/xml would not write back
		}
		again, err := parseLoggingXML(stored)
		if err != nil {
			return // characters XML cannot carry, replaced on encoding
		}
		if again == nil || *again != *c {
			if bytes.ContainsRune(stored, 0xFFFD) {
				return // invalid UTF-8, replaced on encoding
			}
			t.Fatalf("stored %q parses to %+v, want %+v", stored, again, c)
		}
	})
}

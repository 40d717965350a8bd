package lifecycle

import (
	"testing"

	"coffer/internal/errs"
)

// FuzzParse: any input either fails with an S3 error kind or yields a
// configuration whose rendering parses back to the same model.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`<LifecycleConfiguration><Rule><ID>a</ID><Filter><Prefix>x/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>`))
	f.Add([]byte(`<LifecycleConfiguration><Rule><Filter><And><Prefix>p</Prefix><Tag><Key>k</Key><Value>v</Value></Tag><ObjectSizeLessThan>9</ObjectSizeLessThan></And></Filter><Status>Disabled</Status><NoncurrentVersionExpiration><NoncurrentDays>2</NoncurrentDays><NewerNoncurrentVersions>3</NewerNoncurrentVersions></NoncurrentVersionExpiration></Rule></LifecycleConfiguration>`))
	f.Add([]byte(`<LifecycleConfiguration><Rule><Prefix></Prefix><Status>Enabled</Status><Expiration><Date>2030-01-01</Date></Expiration><AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload><Transition><Days>0</Days><StorageClass>GLACIER</StorageClass></Transition></Rule></LifecycleConfiguration>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "")
		if err != nil {
			switch errs.KindOf(err) {
			case errs.MalformedXML, errs.InvalidArgument, errs.InvalidRequest, errs.InvalidTag, errs.InvalidStorageClass:
			default:
				t.Fatalf("unexpected kind %v: %v", errs.KindOf(err), err)
			}
			return
		}
		again, err := Parse(c.Marshal(), c.MinSize)
		if err != nil {
			t.Fatalf("rendering does not parse: %v\n%s", err, c.Marshal())
		}
		if string(again.Encode()) != string(c.Encode()) {
			t.Fatalf("round trip differs:\n%s\n%s", again.Encode(), c.Encode())
		}
	})
}

package e2e

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// Large PUTs and parts hashed side by side on the server's shared md5x
// stream: six concurrent uploads (plain, SSE-S3, UploadPart) of sizes
// around md5-simd's blocks, each ETag the MD5 of its body.
func TestLargeBodyETagsConcurrent(t *testing.T) {
	c := s3c(t)
	b := newBucket(t)
	sizes := []int{1 << 20, 16<<20 + 1, 5<<20 + 63, 8<<20 + 64, 3<<20 + 65, 6 << 20}
	var wg sync.WaitGroup
	for i, size := range sizes {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(i), 3))
			data := make([]byte, size)
			for j := range data {
				data[j] = byte(rng.Uint32())
			}
			sum := md5.Sum(data)
			want := hex.EncodeToString(sum[:])
			key := fmt.Sprintf("obj-%d", i)
			var got string
			switch i % 3 {
			case 0, 1:
				in := &s3.PutObjectInput{Bucket: aws.String(b), Key: aws.String(key), Body: bytes.NewReader(data)}
				if i%3 == 1 {
					in.ServerSideEncryption = types.ServerSideEncryptionAes256
				}
				out, err := c.PutObject(ctxT(t), in)
				if err != nil {
					t.Errorf("PutObject %s: %v", key, err)
					return
				}
				got = aws.ToString(out.ETag)
			case 2:
				cr, err := c.CreateMultipartUpload(ctxT(t), &s3.CreateMultipartUploadInput{Bucket: aws.String(b), Key: aws.String(key)})
				if err != nil {
					t.Errorf("CreateMultipartUpload: %v", err)
					return
				}
				up, err := c.UploadPart(ctxT(t), &s3.UploadPartInput{Bucket: aws.String(b), Key: aws.String(key),
					UploadId: cr.UploadId, PartNumber: aws.Int32(1), Body: bytes.NewReader(data)})
				if err != nil {
					t.Errorf("UploadPart: %v", err)
					return
				}
				got = aws.ToString(up.ETag)
				c.AbortMultipartUpload(ctxT(t), &s3.AbortMultipartUploadInput{Bucket: aws.String(b), Key: aws.String(key), UploadId: cr.UploadId})
			}
			if strings.Trim(got, `"`) != want {
				t.Errorf("%s (%d bytes, kind %d): ETag %s, want %s", key, size, i%3, got, want)
			}
		})
	}
	wg.Wait()
}

package s3api

import (
	"context"
	"net/http"
)

func (s *server) postObject(ctx context.Context, ri *requestInfo, r *http.Request) (*response, error) {
	return nil, notImplemented(OpPostObject)
}

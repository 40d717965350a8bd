package adminclient

import "encoding/json"

func jsonInto(b []byte, v any) error { return json.Unmarshal(b, v) }

package loadgen

import (
	"strings"
	"testing"
)

func TestCompareTable(t *testing.T) {
	in := `not json
{"workload":"get4k","label":"minio","metric":"ops/s","ops_per_sec":2000,"p50_ms":5,"p99_ms":9,"server_hwm_mib":300,"client_cores":0.5}
{"workload":"put4k","label":"minio","metric":"ops/s","ops_per_sec":800,"p50_ms":18,"p99_ms":40,"server_hwm_mib":250,"client_cores":0.2}
{"workload":"put4k","label":"coffer","metric":"ops/s","ops_per_sec":1600,"p50_ms":9,"p99_ms":20,"server_hwm_mib":90,"client_cores":0.3}
{"workload":"put4k","label":"minio","metric":"ops/s","ops_per_sec":900,"p50_ms":16,"p99_ms":44,"server_hwm_mib":260,"client_cores":0.2}
`
	res, err := ReadResults(strings.NewReader(in))
	if err != nil || len(res) != 4 {
		t.Fatalf("ReadResults: %d, %v", len(res), err)
	}
	table := CompareTable(res, CompareOptions{Peer: "minio", Subject: "coffer", PeerTitle: "MinIO", SubjectTitle: "Coffer"})
	lines := strings.Split(strings.TrimSpace(table), "\n")
	if len(lines) != 4 {
		t.Fatalf("want header, rule and 2 rows:\n%s", table)
	}
	for _, want := range []string{"| put4k | ops/s | 850 (800–900) | 1600 | 1.88 | 17.0 / 42.0 | 9.0 / 20.0 | 260 | 90 |"} {
		if lines[2][:len(want)] != want {
			t.Errorf("put4k row\n got %s\nwant %s…", lines[2], want)
		}
	}
	if !strings.HasPrefix(lines[3], "| get4k | ops/s | 2000 | pending | pending |") {
		t.Errorf("get4k row: %s", lines[3])
	}
}

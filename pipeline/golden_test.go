package pipeline

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// goldenFile holds, for every convertible fixture, the SHA-256 of the GIF Convert makes of it
// with the default options: the proof that a change meant to keep the output (a refactoring, a
// speed-up) does keep it, byte for byte. Rewrite it with -update when a change is meant to
// change the output (and say so: it invalidates caches, see algorithmVersion).
const goldenFile = "expected/gifs.json"

// goldenInputs are the fixtures Convert reads (the refused ones are tested elsewhere), by glob
// under testdata/.
var goldenInputs = []string{
	"media/*.mp4", "hls/master*.m3u8", "hls/video_*.m3u8", "hevc/*.mp4", "hevc/*.ts", "hevc/master*.m3u8",
	"compat/anamorphic-*.mp4", "compat/sar*.mp4", "compat/udta-*", "compat/truncated-*.mp4", "real/*.mp4",
}

func TestGoldenGIFs(t *testing.T) {
	var inputs []string
	for _, g := range goldenInputs {
		m, err := filepath.Glob(fixture(g))
		if err != nil || len(m) == 0 {
			t.Fatalf("%s: no fixture (%v)", g, err)
		}
		inputs = append(inputs, m...)
	}
	slices.Sort(inputs)
	want := map[string]string{}
	if data, err := os.ReadFile(fixture(goldenFile)); err == nil {
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatalf("%s: %v", goldenFile, err)
		}
	} else if !*update {
		t.Fatalf("%v (make it with -update)", err)
	}
	got := map[string]string{}
	for _, path := range inputs {
		rel, _ := filepath.Rel(fixture(""), path)
		var out bytes.Buffer
		if _, err := Convert(t.Context(), path, Options{}, &out); err != nil {
			t.Errorf("%s: %v", rel, err)
			continue
		}
		sum := sha256.Sum256(out.Bytes())
		got[rel] = hex.EncodeToString(sum[:])
		if !*update && got[rel] != want[rel] {
			t.Errorf("%s: the GIF changed (%d bytes, sha256 %s, want %s); rerun with -update if that is meant", rel, out.Len(), got[rel], want[rel])
		}
	}
	if !*update {
		for rel := range want {
			if _, ok := got[rel]; !ok {
				t.Errorf("%s is in %s but no longer a fixture", rel, goldenFile)
			}
		}
		return
	}
	if t.Failed() {
		return
	}
	data, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(fixture(goldenFile), append(data, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

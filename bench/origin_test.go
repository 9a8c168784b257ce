package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

func TestOriginRangesMarksAndTIDAL403(t *testing.T) {
	root := t.TempDir()
	data := make([]byte, 100<<10)
	for i := range data {
		data[i] = byte(i * 7)
	}
	os.MkdirAll(filepath.Join(root, "videos", "a"), 0o755)
	os.WriteFile(filepath.Join(root, "videos", "a", "1280x1280.mp4"), data, 0o644)
	// No throttling: the test checks behaviour, not speed.
	o, err := startOrigin(root, 0, map[string]int64{"/videos/a/1280x1280.mp4": 50 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer o.close()

	get := func(path, rng string) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, o.URL+path, nil)
		if rng != "" {
			req.Header.Set("Range", rng)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}

	o.reset()
	code, b := get("/videos/a/1280x1280.mp4", "bytes=1000-1999")
	if code != http.StatusPartialContent || string(b) != string(data[1000:2000]) {
		t.Fatalf("range: %d, %d bytes", code, len(b))
	}
	if st := o.snapshot(); !st.FirstMedia.IsZero() || st.Bytes != 1000 || st.Requests != 1 {
		t.Errorf("after a range before the mark: %+v", st)
	}
	code, b = get("/videos/a/1280x1280.mp4", "bytes=40000-")
	if code != http.StatusPartialContent || len(b) != len(data)-40000 {
		t.Fatalf("open range: %d, %d bytes", code, len(b))
	}
	if st := o.snapshot(); st.FirstMedia.IsZero() || st.Bytes != 1000+int64(len(data)-40000) {
		t.Errorf("range across the mark not noted: %+v", st)
	}
	o.reset()
	if st := o.snapshot(); !st.FirstMedia.IsZero() || st.Bytes != 0 {
		t.Errorf("reset kept %+v", st)
	}
	if code, _ := get("/videos/a/100x100.mp4", ""); code != http.StatusForbidden {
		t.Errorf("missing TIDAL rendition: %d, want 403", code)
	}
	if code, _ := get("/media/none.mp4", ""); code != http.StatusNotFound {
		t.Errorf("missing file: %d, want 404", code)
	}
}

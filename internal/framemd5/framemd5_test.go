package framemd5

import (
	"testing"
	"time"
)

func TestRead(t *testing.T) {
	f, err := Read("../../testdata/expected/hevc-main10-250x142-24fps.framemd5")
	if err != nil {
		t.Fatal(err)
	}
	if f.TimebaseNum != 1 || f.TimebaseDen != 24 || len(f.Frames) != 48 {
		t.Fatalf("time base %d/%d, %d frames; want 1/24, 48", f.TimebaseNum, f.TimebaseDen, len(f.Frames))
	}
	last := f.Frames[47]
	if last.Ticks != 47 || last.PTS != 47*time.Second/24 || len(last.MD5) != 32 {
		t.Errorf("last frame %+v", last)
	}
	if _, err := Read("framemd5.go"); err == nil {
		t.Error("Go source read as a framemd5 file")
	}
}

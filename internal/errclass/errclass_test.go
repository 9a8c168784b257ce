package errclass

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/musicpresence/animated-album-covers/codec"
)

// Every class survives being rebuilt from its code and from its name, with each of its
// sentinels, and the table's order puts a specific sentinel before the broader one it wraps
// (else the rebuilt error would land in the broader class).
func TestClassesRebuild(t *testing.T) {
	names := map[string]bool{}
	for i, c := range Classes {
		if names[c.Name] {
			t.Errorf("class name %q twice", c.Name)
		}
		names[c.Name] = true
		if c.Code() != uint8(i) {
			t.Errorf("%s: code %d at index %d", c.Name, c.Code(), i)
		}
		if byCode, ok := ByCode(c.Code()); !ok || byCode.Name != c.Name {
			t.Errorf("%s: ByCode(%d) = %s, %v", c.Name, c.Code(), byCode.Name, ok)
		}
		if named, ok := Named(c.Name); !ok || named.Code() != c.Code() {
			t.Errorf("%s: Named = %s, %v", c.Name, named.Name, ok)
		}
		if c.Name == None.Name {
			continue
		}
		if (len(c.Errs) == 0) != (c.Name == Other.Name) {
			t.Errorf("%s: %d sentinels", c.Name, len(c.Errs))
		}
		rebuilt := c.Rebuild("what it said")
		if got := Of(rebuilt); got.Name != c.Name {
			t.Errorf("%s rebuilt is of class %s", c.Name, got.Name)
		}
		if rebuilt.Error() != "what it said" {
			t.Errorf("%s rebuilt says %q", c.Name, rebuilt)
		}
		for _, s := range c.Errs {
			if !errors.Is(rebuilt, s) {
				t.Errorf("%s rebuilt does not wrap %v", c.Name, s)
			}
		}
	}
	if _, ok := ByCode(uint8(len(Classes))); ok {
		t.Error("a code past the table names a class")
	}
	if _, ok := Named("no-such-class"); ok {
		t.Error("an unknown name names a class")
	}
}

// The errors the packages make, as they make them, get the status, label and message the
// service has always given them.
func TestOf(t *testing.T) {
	tests := []struct {
		err     error
		status  int
		result  string
		message string // "": the error's text
	}{
		{nil, http.StatusOK, "success", ""},
		{fmt.Errorf("%w: %w: scheme %q", codec.ErrForbidden, codec.ErrOrigin, "file"), http.StatusForbidden, "forbidden", ""},
		{fmt.Errorf("%w: audio only", codec.ErrUnsupported), http.StatusUnsupportedMediaType, "unsupported", ""},
		{fmt.Errorf("%w: mp4: bad box", codec.ErrInvalid), http.StatusUnsupportedMediaType, "unsupported", ""},
		{fmt.Errorf("%w: %w: ends early", codec.ErrInvalid, codec.ErrTruncated), http.StatusUnsupportedMediaType, "unsupported", ""},
		{fmt.Errorf("%w: no answer", codec.ErrTimeout), http.StatusGatewayTimeout, "timeout", ""},
		{fmt.Errorf("job: %w", context.DeadlineExceeded), http.StatusGatewayTimeout, "timeout", ""},
		{fmt.Errorf("%w: status 404", codec.ErrOrigin), http.StatusBadGateway, "origin_error", ""},
		{fmt.Errorf("pipeline: %w: decode worker signal: killed", ErrDecoderCrashed), http.StatusInternalServerError, "decoder_crash",
			"conversion failed: the video decoder crashed on this source"},
		{fmt.Errorf("%w: the replica went away", ErrResultAborted), http.StatusInternalServerError, "error", "conversion failed"},
		{ErrQueueFull, http.StatusServiceUnavailable, "error", ""},
		{ErrShuttingDown, http.StatusServiceUnavailable, "error", ""},
		{ErrNotFound, http.StatusNotFound, "error", ""},
		{context.Canceled, http.StatusInternalServerError, "error", "conversion failed"},
		{errors.New("gifenc: something internal"), http.StatusInternalServerError, "error", "conversion failed"},
	}
	for _, tt := range tests {
		c := Of(tt.err)
		if c.Status != tt.status || c.Result != tt.result {
			t.Errorf("%v: class %s, status %d, result %s; want %d, %s", tt.err, c.Name, c.Status, c.Result, tt.status, tt.result)
		}
		if tt.err == nil {
			continue
		}
		want := tt.message
		if want == "" {
			want = tt.err.Error()
		}
		if got := c.PublicMessage(tt.err); got != want {
			t.Errorf("%v: message %q, want %q", tt.err, got, want)
		}
	}
}

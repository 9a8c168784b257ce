package fetch

import (
	"strconv"
	"strings"
)

// parseContentRange reads "bytes START-END/SIZE" (RFC 9110 section 14.4; SIZE may be "*") and
// returns START: where the part sent begins is all a reader needs to check.
func parseContentRange(v string) (start int64, ok bool) {
	v, found := strings.CutPrefix(v, "bytes ")
	if !found {
		return 0, false
	}
	rng, total, found := strings.Cut(v, "/")
	if !found {
		return 0, false
	}
	first, _, found := strings.Cut(rng, "-")
	if !found {
		return 0, false
	}
	start, err := strconv.ParseInt(first, 10, 64)
	if err != nil || start < 0 {
		return 0, false
	}
	if total != "*" {
		if _, err = strconv.ParseInt(total, 10, 64); err != nil {
			return 0, false
		}
	}
	return start, true
}

package fetch

// StatusError is an origin's answer other than success, kept so that a caller can tell "this
// resource does not exist" (a rendition to skip) from other origin failures with errors.As.
type StatusError struct {
	Code   int    // e.g. 403
	Status string // as the response says it, e.g. "403 Forbidden"
}

// Error says the status the origin answered.
func (e *StatusError) Error() string { return "status " + e.Status }

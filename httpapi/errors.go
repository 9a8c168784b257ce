package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/musicpresence/animated-album-covers/internal/errclass"
)

// Errors of the service itself. Their classes, with the status each answers, are in
// internal/errclass's table, with those of the conversions.
var (
	// ErrQueueFull: CONVERSION_QUEUE_SIZE conversions already wait for a slot.
	ErrQueueFull = errclass.ErrQueueFull
	// ErrShuttingDown: the service stopped taking new conversions.
	ErrShuttingDown = errclass.ErrShuttingDown
	// ErrNotFound: a token or result is unknown or expired.
	ErrNotFound = errclass.ErrNotFound
)

// retryAfterSeconds is what a client asked to come back later waits: about one conversion.
const retryAfterSeconds = 5

// apiError is the body of every error answer (docs/API.md, "HTTP API").
type apiError struct {
	StatusCode int    `json:"statusCode"`
	Error      string `json:"error"`
	Message    string `json:"message"`
}

// writeError answers with status and a JSON body saying what happened.
func writeError(w http.ResponseWriter, status int, message string) {
	h := w.Header()
	h.Del("Content-Length")
	h.Del("Content-Disposition")
	h.Del("ETag")
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	if status == http.StatusServiceUnavailable {
		h.Set("Retry-After", strconv.Itoa(retryAfterSeconds))
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(apiError{StatusCode: status, Error: http.StatusText(status), Message: message})
}

// conversionStatus is the status the contract gives to why a conversion (or starting one)
// failed: its errclass.
func conversionStatus(err error) int { return errclass.Of(err).Status }

// conversionResult names the outcome of a conversion for conversions_total{result}.
func conversionResult(err error) string { return errclass.Of(err).Result }

// publicMessage is what a client is told about a failed conversion: the error's text says what
// failed and with which input (the codec's errors are written for users), but an error of a
// class that may carry internals (a decoder crash, one unforeseen) is replaced by the class's
// message.
func publicMessage(err error) string { return errclass.Of(err).PublicMessage(err) }

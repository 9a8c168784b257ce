package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/musicpresence/animated-album-covers/codec"
	"github.com/musicpresence/animated-album-covers/pipeline"
)

// Errors of the service itself, each with the status it answers.
var (
	// ErrQueueFull: CONVERSION_QUEUE_SIZE conversions already wait for a slot.
	ErrQueueFull = errors.New("conversion queue full")
	// ErrShuttingDown: the service stopped taking new conversions.
	ErrShuttingDown = errors.New("service shutting down")
	// ErrNotFound: a token or result is unknown or expired.
	ErrNotFound = errors.New("not found")
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

// conversionStatus maps why a conversion (or starting one) failed to the status the contract
// gives it. ErrForbidden wraps ErrOrigin too, so it is tested first.
func conversionStatus(err error) int {
	switch {
	case errors.Is(err, codec.ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, codec.ErrUnsupported), errors.Is(err, codec.ErrInvalid):
		return http.StatusUnsupportedMediaType
	case errors.Is(err, codec.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout
	case errors.Is(err, codec.ErrOrigin):
		return http.StatusBadGateway
	case errors.Is(err, ErrQueueFull), errors.Is(err, ErrShuttingDown):
		return http.StatusServiceUnavailable
	case errors.Is(err, ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, pipeline.ErrDecoderCrashed):
		// Not 502: that says the origin failed. Not 415: a crash does not prove the source
		// unsupported (a decoder bug, or the memory limit). It is this service failing.
		return http.StatusInternalServerError
	default:
		return http.StatusInternalServerError
	}
}

// conversionResult names the outcome of a conversion for conversions_total{result}.
func conversionResult(err error) string {
	if errors.Is(err, pipeline.ErrDecoderCrashed) {
		return "decoder_crash" // a 500 of its own: a decoder bug or a hostile source to look at
	}
	switch conversionStatus(err) {
	case http.StatusInternalServerError:
		if err == nil {
			return "success"
		}
		return "error"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusUnsupportedMediaType:
		return "unsupported"
	case http.StatusGatewayTimeout:
		return "timeout"
	case http.StatusBadGateway:
		return "origin_error"
	default:
		return "error"
	}
}

// publicMessage is what a client is told about a failed conversion: the error's text says what
// failed and with which input (the codec's errors are written for users), but an unknown error
// may carry internals, so it is replaced.
func publicMessage(err error) string {
	if errors.Is(err, pipeline.ErrDecoderCrashed) {
		return "conversion failed: the video decoder crashed on this source"
	}
	if conversionStatus(err) == http.StatusInternalServerError {
		return "conversion failed"
	}
	return err.Error()
}

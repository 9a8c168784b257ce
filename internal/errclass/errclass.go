package errclass

import (
	"context"
	"errors"
	"net/http"

	"github.com/musicpresence/animated-album-covers/codec"
)

// Sentinels of the classes that neither codec nor the standard library defines. pipeline and
// httpapi export them under their own names.
var (
	// ErrDecoderCrashed: the decode worker ended without a proper answer (a signal, a limit,
	// a broken protocol).
	ErrDecoderCrashed = errors.New("decoder crashed")
	// ErrResultAborted: the conversion ended without saying why (a replica that went away).
	ErrResultAborted = errors.New("pipeline: conversion aborted")
	// ErrQueueFull: CONVERSION_QUEUE_SIZE conversions already wait for a slot.
	ErrQueueFull = errors.New("conversion queue full")
	// ErrShuttingDown: the service stopped taking new conversions.
	ErrShuttingDown = errors.New("service shutting down")
	// ErrNotFound: a token or result is unknown or expired.
	ErrNotFound = errors.New("not found")
)

// Class is one way to fail.
type Class struct {
	// Name is the class on the Redis follow path. Replicas of different versions may share a
	// Redis, so a name is never changed or reused.
	Name string
	// Errs are the sentinels an error of this class wraps, the one that decides the class
	// first: an error is of the first class in Classes whose Errs[0] it wraps. Rebuild wraps
	// them all (codec.ErrForbidden comes with codec.ErrOrigin, codec.ErrTruncated with
	// codec.ErrInvalid).
	Errs []error
	// Status is the HTTP status the service answers with.
	Status int
	// Result is the conversions_total{result} label.
	Result string
	// Message is what a client is told; "": the error's own text, which then must say what
	// failed and with which input, for a user to read (the codec's errors are written so).
	Message string
}

// None is the class of no error (a nil error): a conversion that succeeded.
var None = Class{Name: "ok", Status: http.StatusOK, Result: "success"}

// Other is the class of an error that wraps none of the sentinels: this service failing in a
// way it did not foresee. Its text may carry internals, so a client is told only that.
var Other = Class{Name: "other", Status: http.StatusInternalServerError, Result: "error", Message: "conversion failed"}

// Classes is the table: None first, Other last, the rest in the order an error is matched.
// A more specific sentinel (one that also wraps a broader one) comes before the broader one.
var Classes = []Class{
	None,
	// Not 502: that says the origin failed. Not 415: a crash does not prove the source
	// unsupported (a decoder bug, or the memory limit). It is this service failing, and one
	// to look at: a decoder bug or a hostile source.
	{Name: "decoder-crashed", Errs: []error{ErrDecoderCrashed}, Status: http.StatusInternalServerError,
		Result: "decoder_crash", Message: "conversion failed: the video decoder crashed on this source"},
	{Name: "forbidden", Errs: []error{codec.ErrForbidden, codec.ErrOrigin}, Status: http.StatusForbidden, Result: "forbidden"},
	{Name: "unsupported", Errs: []error{codec.ErrUnsupported}, Status: http.StatusUnsupportedMediaType, Result: "unsupported"},
	{Name: "truncated", Errs: []error{codec.ErrTruncated, codec.ErrInvalid}, Status: http.StatusUnsupportedMediaType, Result: "unsupported"},
	{Name: "invalid", Errs: []error{codec.ErrInvalid}, Status: http.StatusUnsupportedMediaType, Result: "unsupported"},
	{Name: "origin-timeout", Errs: []error{codec.ErrTimeout}, Status: http.StatusGatewayTimeout, Result: "timeout"},
	{Name: "deadline", Errs: []error{context.DeadlineExceeded}, Status: http.StatusGatewayTimeout, Result: "timeout"},
	{Name: "origin", Errs: []error{codec.ErrOrigin}, Status: http.StatusBadGateway, Result: "origin_error"},
	{Name: "queue-full", Errs: []error{ErrQueueFull}, Status: http.StatusServiceUnavailable, Result: "error"},
	{Name: "shutting-down", Errs: []error{ErrShuttingDown}, Status: http.StatusServiceUnavailable, Result: "error"},
	{Name: "not-found", Errs: []error{ErrNotFound}, Status: http.StatusNotFound, Result: "error"},
	{Name: "aborted", Errs: []error{ErrResultAborted}, Status: http.StatusInternalServerError, Result: "error", Message: "conversion failed"},
	Other,
}

// Of is the class of err: None for nil, Other when it wraps no sentinel of the table.
func Of(err error) Class {
	if err == nil {
		return None
	}
	for _, c := range Classes[1 : len(Classes)-1] {
		if errors.Is(err, c.Errs[0]) {
			return c
		}
	}
	return Other
}

// Code is the class's index in Classes: its form on the decode worker's pipe, whose two ends
// are the same binary.
func (c Class) Code() uint8 {
	for i, k := range Classes {
		if k.Name == c.Name {
			return uint8(i)
		}
	}
	panic("errclass: class " + c.Name + " is not in the table")
}

// ByCode is the class of a code from the decode worker's pipe; ok is false for a code that
// names no class.
func ByCode(code uint8) (Class, bool) {
	if int(code) >= len(Classes) {
		return Class{}, false
	}
	return Classes[code], true
}

// Named is the class of a name from the Redis follow path; ok is false for a name this
// version does not know.
func Named(name string) (Class, bool) {
	for _, c := range Classes {
		if c.Name == name {
			return c, true
		}
	}
	return Class{}, false
}

// PublicMessage is what a client is told about err: the class's message, else err's text ("" for
// no error).
func (c Class) PublicMessage(err error) string {
	if c.Message != "" || err == nil {
		return c.Message
	}
	return err.Error()
}

// Rebuild makes, on the receiving side of a pipe or a stream, the error that had class c and
// the given text on the sending side: its Error is text, and errors.Is finds each of c.Errs
// in it, so that Of gives c again.
func (c Class) Rebuild(text string) error {
	return &crossedError{class: c, text: text}
}

// crossedError is an error that crossed a process boundary.
type crossedError struct {
	class Class
	text  string
}

func (e *crossedError) Error() string   { return e.text }
func (e *crossedError) Unwrap() []error { return e.class.Errs }

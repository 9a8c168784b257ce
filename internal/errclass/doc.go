// Package errclass is the one table of the ways a conversion, or a request for one, can fail:
// each class with the sentinel errors it wraps, the name it travels under, the HTTP status the
// service answers with, its conversions_total{result} label and what a client is told.
//
// Three paths carry a class and must agree: the decode worker's pipe (a class code, the
// worker's error text beside it), the Redis stream a replica follows another's conversion on
// (the class's name), and the service's HTTP answer and metrics. All three read this table, so
// a class added here crosses all of them, and Rebuild gives the receiving side an error that
// errors.Is finds every sentinel of the class in, as it would on the sending side.
//
// It sits below the decode worker and pipeline (it imports only codec), so the sentinels of
// classes that pipeline and httpapi name (ErrDecoderCrashed, ErrResultAborted, ErrQueueFull, …)
// are defined here and re-exported there.
package errclass

// Package httpapi is the service: /token hands out capabilities for conversions, /convert streams
// GIFs while they are made and serves them from a cache afterwards, behind auth, a source policy,
// a bounded job queue and Prometheus metrics.
package httpapi

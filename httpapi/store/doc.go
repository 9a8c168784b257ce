// Package store keeps the service's tokens and finished results: in the process (Memory), or
// in a Redis that the replicas of a deployment share (Redis), which also lets them convert each
// source once between them (Claim, Follow).
//
// A token's value is opaque here (the service stores the JSON of what the token stands for);
// results are stored only once complete, so anything Result returns is a whole GIF. Missing or
// expired entries are ErrNotFound.
//
// The files: memory.go, redis.go (connection, tokens, results), claim.go (a held claim on one
// conversion, publishing its output) and follow.go (another replica reading it).
package store

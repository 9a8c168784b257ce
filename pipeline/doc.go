// Package pipeline is one conversion end to end: source -> pictures -> resize -> GIF bytes, its
// stages running concurrently, and the Result that any number of readers share while it grows.
package pipeline

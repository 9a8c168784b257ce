// Package decodeworker runs codec.Decode in a child process, so that a crash of a C decoder
// (OpenH264, libde265) fails one conversion instead of the service.
//
// The parent (parent.go, Decode) starts its own binary with the hidden Command, sends it the
// demuxed samples over the child's stdin and reads the output-sized frames back over its
// stdout; it kills the child when its context ends and always waits for it. The child
// (child.go, Run) puts memory and CPU limits on itself first (limits_linux.go), then decodes
// with the same codec.Decode and the same frame converter as an in-process conversion, so the
// frames are the same bytes. The messages between them are in protocol.go; the parent trusts
// nothing the child says (FuzzWorkerAnswer). Errors cross the pipe with their class from
// internal/errclass.
//
// Test binaries built with the faultinject tag can make a child crash on purpose (fault.go);
// release builds hold no trace of it.
package decodeworker

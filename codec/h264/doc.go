// Package h264 decodes H.264 access units into pictures with Cisco's OpenH264. Like codec/h265,
// it keeps cgo to itself: no C type or pointer leaves it, except that a picture's planes point
// into the decoder's memory while the emit function runs.
package h264

// Package h265 decodes H.265 (HEVC) access units into pictures with libde265, Main and Main 10
// (and 4:2:0 Main 12). Like codec/h264, it keeps cgo to itself: no C type or pointer leaves it,
// except that a picture's planes point into the decoder's memory while the emit function runs.
//
// libde265 is LGPL-3.0-or-later; it is linked dynamically (pkg-config's -lde265), so that the
// shared library the service runs with can be replaced.
package h265

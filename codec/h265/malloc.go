package h265

/*
#include <malloc.h>
*/
import "C"

import "sync"

// mallocThreshold is the allocation size from which glibc's malloc takes memory straight from
// mmap and gives it back on free: libde265 allocates a stream's pictures when it starts and
// frees them on Close, from whichever OS thread the goroutine is on, and with glibc's sliding
// default a freed large block raises the threshold, so the next decoder's pictures come from
// another arena while the first keeps the freed memory (codec/h264's malloc.go measured the same
// with OpenH264, and sets the same value). Measured on the 10 s 1280x1280 x265 clips of
// bench/hevc, one thread, in process: peak RSS 83 MB (8-bit) and 108 MB (Main 10) with glibc's
// default, 57 MB and 75 MB with the fixed threshold, and no more CPU time.
const mallocThreshold = 128 << 10

var mallocOnce sync.Once

// tuneMalloc fixes glibc's mmap threshold, once per process, before the first decoder allocates.
func tuneMalloc() {
	mallocOnce.Do(func() { C.mallopt(C.M_MMAP_THRESHOLD, mallocThreshold) })
}

package gifenc

import "time"

// GIF89a section 23 gives delays in hundredths of a second. Browsers show
// delays of 0 and 1 as 10, so none is written below minDelay.
const (
	minDelay = 2
	maxDelay = 1<<16 - 1
)

// centiseconds rounds d to hundredths of a second, halves down, so that
// cumulative rounding of 24 fps gives 4, 4, 4, 5, 4, 4, ...
func centiseconds(d time.Duration) int64 {
	const cs = 10 * time.Millisecond
	return int64((d + cs/2 - 1) / cs)
}

// clock turns frame end times into delays, carrying the rounding error
// forward so the total matches the source.
type clock struct {
	written int64 // centiseconds of delay written so far
}

// delay returns the delay of a frame that ends at end, and counts it.
func (c *clock) delay(end time.Duration) int {
	d := centiseconds(end) - c.written
	d = min(max(d, minDelay), maxDelay)
	c.written += d
	return int(d)
}

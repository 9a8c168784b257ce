// Package gifenc is a streaming GIF89a encoder for short looping animations.
//
// The global colour table is built from the frames of a palette window, the
// first second or so of the animation (longer while the picture fades), so
// that a dark, faded or title first frame does not decide it; those frames
// wait for it. Every later frame is encoded as it arrives and written as soon
// as its delay is known, flushing the destination after every frame, so a
// reader can show the GIF while it is being made. Memory does not grow with
// the number of frames: the writer keeps the window, the picture on screen and
// at most one encoded frame.
//
// Palettes are built by median cut over a colour histogram, refined by
// k-means. A frame the current palette serves badly in absolute terms (a cut,
// a new scene) is mapped to the best palette already made, or gets a local
// colour table of its own when that is much better; thresholds have
// hysteresis, so grain and fades do not make palettes flicker. Pixels that did
// not change visibly become transparent and each frame is cropped to the
// rectangle that changed, so bytes go where pixels change.
//
// The package knows nothing about video: frames arrive as packed RGB or as
// YCbCr 4:2:0 or 4:4:4 planes with their matrix and range.
package gifenc

// Package gifenc is a streaming GIF89a encoder for short looping animations.
//
// It writes the header, the global colour table and the NETSCAPE2.0 loop
// extension as soon as the first frame arrives, then each frame as soon as its
// delay is known, flushing the destination after every frame, so a reader can
// show the GIF while it is being made. Memory does not grow with the number of
// frames: the writer keeps the picture on screen and at most one encoded frame.
//
// Frames are mapped to a palette built by median cut from the first frame(s)
// and reused, so colours do not flicker; a frame that palette serves badly gets
// a local colour table, which later frames reuse. Pixels that did not change
// visibly become transparent and each frame is cropped to the rectangle that
// changed, so bytes go where pixels change.
//
// The package knows nothing about video: frames arrive as packed RGB or as
// YCbCr 4:2:0 planes with their matrix and range.
package gifenc

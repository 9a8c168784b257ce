package yuv

// MaxWidth and MaxHeight bound every picture of a source: the coded size its sequence
// parameter set announces (checked by codec/h264 and codec/h265 where the SPS is parsed, when a
// source is opened and again before their decoder sees it), what the decoders hand out, and so
// what the resizer reads. 4096 covers every real cover and is the largest picture OpenH264
// 2.3.1 decodes (MAX_WIDTH and MAX_HEIGHT in its decoder); libde265 would allocate whatever an
// SPS asks for.
const (
	MaxWidth  = 4096
	MaxHeight = 4096
)

// Package yuv is the picture the video decoders (codec/h264, codec/h265) hand to their callers:
// Y'CbCr 4:2:0 planes at 8 or more bits per sample, with what the stream says about how the
// samples map to colour. It holds no C memory of its own and knows nothing of any codec.
package yuv

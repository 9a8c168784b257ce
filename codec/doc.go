// Package codec is what comes in: opening a source (Open: the rendition, the HLS variant, the
// container told apart by content), demuxing MP4, fragmented MP4 and MPEG-TS into access units
// (Sample), choosing the pictures a conversion shows, and decoding them (Decode) with codec/h264
// (OpenH264) or codec/h265 (libde265) into pictures (codec/yuv). The bytes themselves are
// fetched by codec/fetch.
//
// The flow of Open: open.go (the one dispatch by content), rendition.go (a cheaper size of the
// same video first), hls.go and variant.go (playlists, the variant chosen), mp4.go, fmp4.go,
// sampletable.go and mpegts.go (the demuxers, reading a byteStream), avc.go and hevc.go (access
// units and parameter sets of each codec), input.go (what Open returns). Errors carry one of
// the classes of errors.go; limits.go bounds what a source may make us hold.
package codec

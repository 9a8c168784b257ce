package quality

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"time"
)

// Reference is the source video at the animation's size and frame rate: frame i stands for the
// time i/Rate (ffmpeg's `fps=R,scale=W:H:flags=area -pix_fmt rgb24 -f rawvideo` makes exactly this).
type Reference struct {
	Width, Height int
	Rate          float64  // frames per second
	Frames        [][]byte // RGB, 3 bytes a pixel
}

// ReadRGB24 reads raw RGB frames of w x h until the end of r.
func ReadRGB24(r io.Reader, w, h int, rate float64) (*Reference, error) {
	if w <= 0 || h <= 0 || rate <= 0 {
		return nil, fmt.Errorf("quality: reference %dx%d at %g fps: bad size or rate", w, h, rate)
	}
	ref := &Reference{Width: w, Height: h, Rate: rate}
	br := bufio.NewReaderSize(r, 1<<16)
	for {
		f := make([]byte, w*h*3)
		_, err := io.ReadFull(br, f)
		if errors.Is(err, io.EOF) {
			return ref, nil
		}
		if err != nil {
			return nil, fmt.Errorf("quality: reading reference frame %d: %w", len(ref.Frames), err)
		}
		ref.Frames = append(ref.Frames, f)
	}
}

// Result is how close an animation is to its reference.
type Result struct {
	Frames int // reference frames compared (those inside the animation's first loop)

	// MeanPSNR is the mean over compared frames of each frame's PSNR over R, G and B (a frame
	// identical to its reference counts as MaxPSNR). PooledPSNR is the PSNR of the mean squared
	// error of all frames, the "average" of ffmpeg's psnr filter.
	MeanPSNR, PooledPSNR float64
	// The same after a 3x3 box blur of both pictures, which stands for the eye at the small sizes
	// covers are shown at: dither patterns count for little, wrong colours and lost detail still do.
	BlurredMeanPSNR, BlurredPooledPSNR float64
}

// MaxPSNR is the PSNR given to a frame equal to its reference, so that one such frame does not
// make a mean infinite.
const MaxPSNR = 100.0

// ErrSize is returned when the animation and the reference differ in size.
var ErrSize = errors.New("quality: animation and reference differ in size")

// Compare matches every reference frame with the animation frame on screen at the middle of the
// reference frame's interval (the middle, so that delays rounded to 1/100 s cannot tip the match
// to a neighbour) and measures PSNR frame by frame. Reference frames past the end of the
// animation's first loop are not compared; Result.Frames says how many were.
func Compare(a *Animation, ref *Reference) (Result, error) {
	if a.Width != ref.Width || a.Height != ref.Height {
		return Result{}, fmt.Errorf("%w: GIF %dx%d, reference %dx%d", ErrSize, a.Width, a.Height, ref.Width, ref.Height)
	}
	var res Result
	var sumPSNR, sumMSE, sumBlurPSNR, sumBlurMSE float64
	for i, want := range ref.Frames {
		t := time.Duration((float64(i) + 0.5) / ref.Rate * float64(time.Second))
		got := a.At(t)
		if got == nil {
			break
		}
		mse := MSE(got.Pix, want)
		bmse := MSE(BoxBlur3(got.Pix, a.Width, a.Height), BoxBlur3(want, a.Width, a.Height))
		sumMSE += mse
		sumBlurMSE += bmse
		sumPSNR += PSNR(mse)
		sumBlurPSNR += PSNR(bmse)
		res.Frames++
	}
	if res.Frames == 0 {
		return res, ErrNoFrames
	}
	n := float64(res.Frames)
	res.MeanPSNR, res.BlurredMeanPSNR = sumPSNR/n, sumBlurPSNR/n
	res.PooledPSNR, res.BlurredPooledPSNR = PSNR(sumMSE/n), PSNR(sumBlurMSE/n)
	return res, nil
}

// MSE is the mean squared error of two equally long byte slices (8-bit samples).
func MSE(a, b []byte) float64 {
	if len(a) != len(b) || len(a) == 0 {
		return math.NaN()
	}
	var sum uint64
	for i := range a {
		d := int(a[i]) - int(b[i])
		sum += uint64(d * d)
	}
	return float64(sum) / float64(len(a))
}

// PSNR converts a mean squared error of 8-bit samples to decibels, capped at MaxPSNR.
func PSNR(mse float64) float64 {
	if mse <= 0 {
		return MaxPSNR
	}
	return min(MaxPSNR, 10*math.Log10(255*255/mse))
}

// BoxBlur3 returns an RGB picture blurred by a 3x3 box; edge pixels average only the neighbours
// that exist, so borders are not darkened.
func BoxBlur3(pix []byte, w, h int) []byte {
	out := make([]byte, len(pix))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var sum [3]int
			n := 0
			for dy := -1; dy <= 1; dy++ {
				yy := y + dy
				if yy < 0 || yy >= h {
					continue
				}
				for dx := -1; dx <= 1; dx++ {
					xx := x + dx
					if xx < 0 || xx >= w {
						continue
					}
					o := (yy*w + xx) * 3
					sum[0] += int(pix[o])
					sum[1] += int(pix[o+1])
					sum[2] += int(pix[o+2])
					n++
				}
			}
			o := (y*w + x) * 3
			for c := range 3 {
				out[o+c] = byte((sum[c] + n/2) / n)
			}
		}
	}
	return out
}

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/musicpresence/animated-album-covers/internal/quality"
)

// referenceRate is the GIF frame rate every tool is asked for; reference frames are taken at it.
const referenceRate = 24

// references makes and caches the frames GIFs are compared with: the source as given, decoded by
// FFmpeg, at 24 fps, turned into RGB at full size (chroma interpolated to every pixel, with the
// matrix its colour description names), then area-scaled to the GIF's size. Scaling 4:2:0
// straight to RGB at the small size, as docs/BASELINE.md did, keeps chroma at half the output size
// (swscale scales the chroma planes to the output's chroma size first): a GIF that keeps more
// colour detail than that then scores worse against it, not better.
type references struct {
	ff  *ffmpegTools
	dir string // work/ref
	mem map[string]*quality.Reference
}

func (r *references) get(ctx context.Context, in *input, w, h int) (*quality.Reference, error) {
	key := fmt.Sprintf("%s-%dx%d-%dfps-fullchroma.rgb", slug(in.Name), w, h, referenceRate)
	if ref, ok := r.mem[key]; ok {
		return ref, nil
	}
	path := filepath.Join(r.dir, key)
	if _, err := os.Stat(path); err != nil {
		if err := os.MkdirAll(r.dir, 0o755); err != nil {
			return nil, fmt.Errorf("reference: %w", err)
		}
		tmp := path + ".tmp"
		err := r.ff.run(ctx, 10*time.Minute, "-t", "30", "-i", in.Reference, "-map", "0:v:0",
			"-vf", "fps="+strconv.Itoa(referenceRate)+",scale=flags=bicubic+full_chroma_int+accurate_rnd,format=rgb24,"+
				"scale="+strconv.Itoa(w)+":"+strconv.Itoa(h)+":flags=area",
			"-pix_fmt", "rgb24", "-f", "rawvideo", tmp)
		if err == nil {
			err = os.Rename(tmp, path)
		}
		if err != nil {
			os.Remove(tmp)
			return nil, fmt.Errorf("reference frames of %s: %w", in.Reference, err)
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reference: %w", err)
	}
	defer f.Close()
	ref, err := quality.ReadRGB24(f, w, h, referenceRate)
	if err != nil {
		return nil, fmt.Errorf("reference %s: %w", path, err)
	}
	r.mem[key] = ref
	return ref, nil
}

// measureQuality compares a GIF with its source.
func (r *references) measureQuality(ctx context.Context, in *input, gifPath string) (quality.Result, error) {
	f, err := os.Open(gifPath)
	if err != nil {
		return quality.Result{}, fmt.Errorf("quality: %w", err)
	}
	defer f.Close()
	a, err := quality.DecodeGIF(f)
	if err != nil {
		return quality.Result{}, fmt.Errorf("quality of %s: %w", gifPath, err)
	}
	ref, err := r.get(ctx, in, a.Width, a.Height)
	if err != nil {
		return quality.Result{}, err
	}
	return quality.Compare(a, ref)
}

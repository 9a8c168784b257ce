package main

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// chart draws grouped horizontal bars of wall time, one group per case, one bar per tool. The
// time axis is logarithmic: the cases span 30 ms (a fixture) to tens of seconds (ffmpeg on an
// HLS master), and the point is the ratio between bars, which a log axis shows as a distance.
func chart(rs resultSet) string {
	const (
		labelW = 250 // case names
		plotW  = 520
		valueW = 70 // value labels right of the longest bar
		barH   = 11
		barGap = 2
		groupG = 12
		top    = 64 // legend and axis labels
		left   = labelW + 10
	)
	type group struct {
		name string
		rows []*result
	}
	var groups []group
	for _, r := range rs {
		if r.Err != nil || r.Wall <= 0 {
			continue
		}
		if len(groups) == 0 || groups[len(groups)-1].name != r.Case.Name {
			groups = append(groups, group{name: r.Case.Name})
		}
		groups[len(groups)-1].rows = append(groups[len(groups)-1].rows, r)
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, g := range groups {
		for _, r := range g.rows {
			lo, hi = math.Min(lo, r.Wall.Seconds()), math.Max(hi, r.Wall.Seconds())
		}
	}
	if len(groups) == 0 {
		lo, hi = 0.1, 1
	}
	// Axis from the decade below the fastest to the decade above the slowest.
	minExp, maxExp := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
	if maxExp <= minExp {
		maxExp = minExp + 1
	}
	x := func(s float64) float64 {
		return left + (math.Log10(s)-minExp)/(maxExp-minExp)*plotW
	}
	height := top
	for _, g := range groups {
		height += len(g.rows)*(barH+barGap) + groupG
	}
	height += 30
	width := left + plotW + valueW

	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`+"\n", width, height, width, height)
	w(`<rect width="100%%" height="100%%" fill="white"/>` + "\n")
	w(`<text x="10" y="18" font-size="14" font-weight="bold">Wall time per conversion (median, log scale): ours vs ffmpeg's recipe</text>` + "\n")
	// Legend: one row for ours and ffmpeg, one for the earlier service (about 6 px a character).
	for i, t := range legendTools() {
		lx, ly := 10+(i%4)*150, 28+(i/4)*14
		w(`<rect x="%d" y="%d" width="12" height="10" fill="%s"/><text x="%d" y="%d">%s</text>`+"\n", lx, ly, barColor(t), lx+16, ly+9, html.EscapeString(toolLabel(t)))
	}
	// Grid: 1, 3 within each decade.
	plotBottom := height - 30
	for e := minExp; e <= maxExp; e++ {
		for _, m := range []float64{1, 3} {
			s := m * math.Pow(10, e)
			if math.Log10(s) > maxExp {
				continue
			}
			gx := x(s)
			stroke := "#ddd"
			if m == 1 {
				stroke = "#bbb"
			}
			w(`<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s"/>`+"\n", gx, top-6, gx, plotBottom, stroke)
			w(`<text x="%.1f" y="%d" text-anchor="middle" fill="#555">%s</text>`+"\n", gx, plotBottom+14, axisLabel(s))
		}
	}
	w(`<text x="%d" y="%d" text-anchor="middle" fill="#555">seconds</text>`+"\n", left+plotW/2, plotBottom+27)
	y := top
	for _, g := range groups {
		gh := len(g.rows) * (barH + barGap)
		w(`<text x="%d" y="%d" text-anchor="end" font-weight="bold">%s</text>`+"\n", labelW, y+gh/2+4, html.EscapeString(g.name))
		for _, r := range g.rows {
			s := r.Wall.Seconds()
			w(`<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"><title>%s, %s threads: %s</title></rect>`+"\n",
				left, y, math.Max(1, x(s)-left), barH, barColor(r.Tool), html.EscapeString(g.name), r.Tool.threadsLabel(), secs(r.Wall))
			w(`<text x="%.1f" y="%d" fill="#333">%s</text>`+"\n", x(s)+4, y+barH-1, secs(r.Wall))
			y += barH + barGap
		}
		y += groupG
	}
	w("</svg>\n")
	return b.String()
}

func legendTools() []tool {
	return []tool{{toolOurs, 1}, {toolOurs, 2}, {toolFFmpeg, 1}, {toolFFmpeg, 0}, {toolEarlier, 1}, {toolEarlier, 0}}
}

func toolLabel(t tool) string {
	if t.Threads == 1 {
		return t.Kind + ", 1 thread"
	}
	return t.Kind + ", all cores"
}

// barColor: ours in blues, ffmpeg in oranges, the earlier service in greys; darker is one thread.
func barColor(t tool) string {
	one := t.Threads == 1
	switch t.Kind {
	case toolOurs:
		return map[bool]string{true: "#1f4e9c", false: "#6ea0e6"}[one]
	case toolFFmpeg:
		return map[bool]string{true: "#c2561a", false: "#f0a060"}[one]
	}
	return map[bool]string{true: "#555555", false: "#aaaaaa"}[one]
}

func axisLabel(s float64) string {
	if s >= 1 {
		return fmt.Sprintf("%g", s)
	}
	return fmt.Sprintf("%.2g", s)
}

package main

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestWriteSectionKeepsOthers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "RESULTS.md")
	others := "# Benchmark results\n\n## GIF encoder (gifcompare)\n\nnumbers of someone else\n"
	if err := os.WriteFile(path, []byte(others), 0o644); err != nil {
		t.Fatal(err)
	}
	first := sectionBegin + "\n## Conversion (bench harness)\n\nold\n" + sectionEnd + "\n"
	if err := writeSection(path, first); err != nil {
		t.Fatal(err)
	}
	// Someone else appends a section after ours; our next run must replace only ours.
	data, _ := os.ReadFile(path)
	data = append(data, "\n## Service (load test)\n\ntheirs\n"...)
	os.WriteFile(path, data, 0o644)
	second := sectionBegin + "\n## Conversion (bench harness)\n\nnew\n" + sectionEnd + "\n"
	if err := writeSection(path, second); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	s := string(got)
	for _, want := range []string{"numbers of someone else", "## Service (load test)\n\ntheirs", "\nnew\n"} {
		if !strings.Contains(s, want) {
			t.Errorf("result lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "\nold\n") || strings.Count(s, sectionBegin) != 1 {
		t.Errorf("old section not replaced exactly once:\n%s", s)
	}
}

func TestChartIsWellFormedSVG(t *testing.T) {
	lo := &benchCase{Name: "1280 lo file"}
	hls := &benchCase{Name: "Apple <HLS> & master", URL: true}
	rs := resultSet{
		{Case: lo, Tool: tool{toolOurs, 1}, Wall: 900 * time.Millisecond},
		{Case: lo, Tool: tool{toolFFmpeg, 1}, Wall: 1500 * time.Millisecond},
		{Case: hls, Tool: tool{toolOurs, 2}, Wall: 300 * time.Millisecond},
		{Case: hls, Tool: tool{toolFFmpeg, 0}, Wall: 12 * time.Second},
	}
	svg := chart(rs)
	d := xml.NewDecoder(strings.NewReader(svg))
	rects := 0
	for {
		tok, err := d.Token()
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("not well-formed: %v\n%s", err, svg)
			}
			break
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "rect" {
			rects++
		}
	}
	// background + 6 legend swatches + 4 bars
	if rects != 1+6+4 {
		t.Errorf("%d rects, want 11", rects)
	}
}

func TestGoalsVerdicts(t *testing.T) {
	lo := &benchCase{Name: caseLo}
	rs := resultSet{
		{Case: lo, Tool: tool{toolOurs, 1}, Wall: 700 * time.Millisecond, CPU: time.Second, MaxRSS: 40 << 20},
		{Case: lo, Tool: tool{toolFFmpeg, 1}, Wall: time.Second, CPU: time.Second},
		{Case: lo, Tool: tool{toolOurs, 2}, Wall: 900 * time.Millisecond, CPU: time.Second, MaxRSS: 80 << 20},
		{Case: lo, Tool: tool{toolFFmpeg, 0}, Wall: time.Second, CPU: time.Second},
	}
	want := map[string]string{
		"1280 MP4 lo, one thread: ours wall / ffmpeg wall": verdictPass,
		"1280 MP4 lo, all cores: ours wall / ffmpeg wall":  verdictMiss,
		"1280 MP4 hi, one thread: ours wall / ffmpeg wall": verdictNone,
		"Peak memory, 1280 lo file, ours one thread":       verdictPass,
		"Peak memory, 1280 lo file, ours all cores":        verdictMiss,
	}
	for _, g := range rs.goals() {
		if v, ok := want[g.Goal]; ok && v != g.Verdict {
			t.Errorf("%s: %s (%s), want %s", g.Goal, g.Verdict, g.Measured, v)
		}
		delete(want, g.Goal)
	}
	for g := range want {
		t.Errorf("goal %q missing", g)
	}
}

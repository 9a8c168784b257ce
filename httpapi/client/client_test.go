package client

import (
	"fmt"
	"testing"
)

func TestInstanceRendezvous(t *testing.T) {
	three := &Client{Instances: []string{"https://a.example", "https://b.example", "https://c.example/"}}
	reordered := &Client{Instances: []string{"https://c.example", "https://a.example", "https://b.example"}}
	two := &Client{Instances: []string{"https://a.example", "https://b.example"}}
	counts := map[string]int{}
	moved := 0
	const n = 3000
	for i := range n {
		src := fmt.Sprintf("https://resources.tidal.com/videos/%d/1280x1280.mp4", i)
		got, err := three.Instance(src)
		if err != nil {
			t.Fatal(err)
		}
		if again, _ := reordered.Instance(src); again != got {
			t.Fatalf("%s: %s, but %s with the list reordered", src, got, again)
		}
		counts[got]++
		// Removing c moves only the URLs c won.
		after, _ := two.Instance(src)
		if got != "https://c.example" && after != got {
			t.Fatalf("%s moved from %s to %s when c left", src, got, after)
		}
		if got == "https://c.example" {
			moved++
		}
	}
	for inst, c := range counts {
		if c < n/3-n/10 || c > n/3+n/10 {
			t.Errorf("%s got %d of %d URLs; want about a third", inst, c, n)
		}
	}
	if moved != counts["https://c.example"] {
		t.Errorf("moved %d, want %d", moved, counts["https://c.example"])
	}
	if _, err := (&Client{}).Instance("x"); err == nil {
		t.Error("no instances: want an error")
	}
}

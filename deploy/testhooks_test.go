package deploy

import (
	"bytes"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// faultFiles are the files that make decode workers crash on purpose, for the crash-isolation
// tests, by package: they build only with the faultinject tag (make test's).
var faultFiles = map[string]string{
	"../codec/h264":            "fault.go",
	"../codec/h265":            "fault.go",
	"../internal/decodeworker": "fault.go",
}

// The release binary holds no test hook: cmd/server, built as `make build` and `go build` build
// it, depends on no testing package and on none of the fault files (which the faultinject tag
// does bring in), and the binary the Dockerfile's build makes (scripts/build-static.sh) does
// not hold the fault variable's name.
func TestReleaseBuildHasNoTestHooks(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "../cmd/server").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if pkg == "testing" || strings.HasPrefix(pkg, "testing/") {
			t.Errorf("cmd/server depends on %s", pkg)
		}
	}
	for dir, file := range faultFiles {
		for _, tags := range []string{"", "faultinject"} {
			out, err := exec.Command("go", "list", "-tags", tags, "-f", "{{.GoFiles}} {{.CgoFiles}}", dir).Output()
			if err != nil {
				t.Fatalf("go list %s: %v", dir, err)
			}
			has := slices.Contains(strings.Fields(strings.NewReplacer("[", " ", "]", " ").Replace(string(out))), file)
			if has != (tags == "faultinject") {
				t.Errorf("%s with tags %q: files %s", dir, tags, out)
			}
		}
	}

	bin, err := os.ReadFile(serverBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(bin, []byte("AAC_TEST_")) {
		t.Error("the release binary holds AAC_TEST_: a test hook is compiled in")
	}
}

package deploy

import (
	"bytes"
	"context"
	"debug/elf"
	"image/gif"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// arm64Libs is where Debian's multiarch arm64 packages (libc6:arm64, libopenh264-dev:arm64,
// libde265-dev:arm64) put their libraries: the glibc the arm64 runtime image carries, OpenH264's
// static library, and libde265's shared one, which the image carries too.
const arm64Libs = "/usr/lib/aarch64-linux-gnu"

// needArm64Toolchain skips the test unless this host can cross-build for arm64 and run the
// result: scripts/install-deps.sh arm64 installs all of it.
func needArm64Toolchain(t *testing.T) string {
	t.Helper()
	if runtime.GOARCH != "amd64" {
		t.Skipf("compares an arm64 cross build with this host's own build; this host is %s, not amd64", runtime.GOARCH)
	}
	var missing []string
	for _, c := range []string{"aarch64-linux-gnu-gcc", "aarch64-linux-gnu-g++", "qemu-aarch64-static"} {
		if _, err := exec.LookPath(c); err != nil {
			missing = append(missing, c)
		}
	}
	if _, err := os.Stat(filepath.Join(arm64Libs, "libopenh264.a")); err != nil {
		missing = append(missing, "libopenh264-dev:arm64")
	}
	if _, err := os.Stat(filepath.Join(arm64Libs, "libde265.so")); err != nil {
		missing = append(missing, "libde265-dev:arm64")
	}
	if len(missing) > 0 {
		t.Skipf("the arm64 cross toolchain is not installed (%s): `make test-arm64` installs it (scripts/install-deps.sh arm64) and runs this test",
			strings.Join(missing, ", "))
	}
	p, _ := exec.LookPath("qemu-aarch64-static")
	return p
}

// underQemu runs an arm64 binary with qemu-user, killed with the test's context and at most
// 5 s later if it ignores that (as `timeout -k` would). The loader is Debian's arm64 one
// (/lib/ld-linux-aarch64.so.1, from libc6:arm64) and LD_LIBRARY_PATH names its glibc, the one
// the runtime image has. Not `-L /usr/aarch64-linux-gnu`: that swaps in the cross toolchain's
// loader while the libraries still come from libc6:arm64, and the mix hangs in pthread_create.
func underQemu(ctx context.Context, qemu, bin string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, qemu, append([]string{"-E", "LD_LIBRARY_PATH=" + arm64Libs, bin}, args...)...)
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// TestArm64BinaryMatchesAmd64 cross-builds the arm64 binary as the Dockerfile does for
// TARGETARCH=arm64, checks that it needs only the arm64 runtime image's glibc and the libde265
// shipped beside it, and runs it under qemu-user on fixtures of every container the service reads
// (MP4: progressive, fragmented, moov at the end; MPEG-TS through HLS; HEVC Main 10 in MP4 and
// an HEVC master): each GIF must be byte for byte the host build's.
func TestArm64BinaryMatchesAmd64(t *testing.T) {
	qemu := needArm64Toolchain(t)
	host := serverBinary(t)
	arm64 := crossServerBinary(t, "arm64")

	f, err := elf.Open(arm64)
	if err != nil {
		t.Fatal(err)
	}
	machine := f.Machine
	f.Close()
	if machine != elf.EM_AARCH64 {
		t.Fatalf("the arm64 build is an ELF for %v", machine)
	}
	checkRuntimeNeeds(t, arm64, "arm64")

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := underQemu(ctx, qemu, arm64, "version").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "server deploy-test") || !strings.Contains(string(out), "OpenH264 ") || !strings.Contains(string(out), "libde265 ") {
		t.Fatalf("server version (arm64, qemu): %v\n%s", err, out)
	}

	fixtures, err := filepath.Glob(repoFile(t, "testdata/media/*.mp4"))
	if err != nil || len(fixtures) < 5 {
		t.Fatalf("testdata/media: %d fixtures (%v)", len(fixtures), err)
	}
	fixtures = append(fixtures, repoFile(t, "testdata/hls/master-ts.m3u8"),
		repoFile(t, "testdata/hevc/main10-250x142-24fps.mp4"), repoFile(t, "testdata/hevc/master-hevc-only.m3u8"))
	dir := t.TempDir()
	for _, fixture := range fixtures {
		name := filepath.Base(fixture)
		t.Run(name, func(t *testing.T) {
			hostGIF, arm64GIF := filepath.Join(dir, name+".host.gif"), filepath.Join(dir, name+".arm64.gif")
			if out, err := exec.CommandContext(ctx, host, "convert", fixture, hostGIF).CombinedOutput(); err != nil {
				t.Fatalf("server convert (host): %v\n%s", err, out)
			}
			if out, err := underQemu(ctx, qemu, arm64, "convert", fixture, arm64GIF).CombinedOutput(); err != nil {
				t.Fatalf("server convert (arm64, qemu): %v\n%s", err, out)
			}
			want, err := os.ReadFile(hostGIF)
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(arm64GIF)
			if err != nil {
				t.Fatal(err)
			}
			g, err := gif.DecodeAll(bytes.NewReader(want))
			if err != nil || len(g.Image) < 2 {
				t.Fatalf("the host build's GIF is not animated: %v", err)
			}
			if !bytes.Equal(got, want) {
				at := 0
				for at < min(len(got), len(want)) && got[at] == want[at] {
					at++
				}
				t.Fatalf("arm64 GIF differs from the host build's: %d bytes against %d, first difference at byte %d", len(got), len(want), at)
			}
			t.Logf("%d frames, %d bytes, identical", len(g.Image), len(got))
		})
	}
}

package deploy

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// runtimePackages are the Debian packages whose files distroless/cc-debian12 adds to a root
// file system, besides ca-certificates, tzdata, netbase and base-files (which hold no code).
// The image is assembled from Debian 12's own .debs, so this host's copies of these packages
// (Debian 12 too, as the README requires) are the image's libraries.
var runtimePackages = []string{"libc6", "libgcc-s1", "libgomp1", "libstdc++6"}

// nonroot is distroless's unprivileged user, the one the Dockerfile's USER names.
const nonroot = 65532

// builtServer is cmd/server built once per test run for one GOARCH.
type builtServer struct {
	once sync.Once
	path string
	err  error
}

// builtServers: "" is this host's architecture; the map is never written after init.
var builtServers = map[string]*builtServer{"": {}, "arm64": {}}

// serverBinary builds cmd/server once per test run as the Dockerfile's build stage does: in a
// copy of the build context (the repository less what .dockerignore leaves out), with
// scripts/build-static.sh, the very script the Dockerfile runs. So these tests see the flags the
// image ships with, and a .dockerignore that drops something the build needs fails here.
func serverBinary(t testing.TB) string { return crossServerBinary(t, "") }

// crossServerBinary is serverBinary for another GOARCH, cross-compiled as the Dockerfile's
// build stage does for that TARGETARCH.
func crossServerBinary(t testing.TB, goarch string) string {
	t.Helper()
	needCommand(t, "pkg-config")
	b := builtServers[goarch]
	b.once.Do(func() {
		dir, err := os.MkdirTemp("", "deploy-server-")
		if err != nil {
			b.err = err
			return
		}
		b.path = filepath.Join(dir, "server")
		buildContext := filepath.Join(dir, "context")
		if b.err = copyBuildContext(repoFile(t, ""), buildContext); b.err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, filepath.Join(buildContext, "scripts/build-static.sh"), b.path)
		cmd.Env = append(os.Environ(), "VERSION=deploy-test", "GOARCH="+goarch)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.err = fmt.Errorf("GOARCH=%s scripts/build-static.sh in the build context: %v\n%s", goarch, err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// copyBuildContext copies what `docker build` would send from repo: every file .dockerignore
// does not exclude, decided by Docker's own matcher (the one BuildKit and the docker CLI use).
func copyBuildContext(repo, to string) error {
	excluded, err := dockerignore(repo)
	if err != nil {
		return err
	}
	return copyTree(repo, to, excluded)
}

// copyTree copies the regular files and folders under from to to, with their permissions, less
// the paths (relative to from) that skip says to leave out; .git is never copied.
func copyTree(from, to string, skip func(rel string) (bool, error)) error {
	return filepath.WalkDir(from, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		if rel == "." {
			return os.MkdirAll(to, 0o755)
		}
		if rel == ".git" {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil // a worktree's .git file
		}
		out, err := skip(rel)
		if err != nil || out {
			return err
		}
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dst, b, info.Mode().Perm())
	})
}

// dockerignore reads repo's .dockerignore and returns whether a path (relative to repo, with
// slashes) stays out of the build context: as BuildKit decides, a path is out when the last
// pattern matching it or one of its parents excludes it.
func dockerignore(repo string) (func(rel string) (bool, error), error) {
	f, err := os.Open(filepath.Join(repo, ".dockerignore"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf(".dockerignore: %w", err)
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return nil, fmt.Errorf(".dockerignore: %w", err)
	}
	return func(rel string) (bool, error) { return pm.MatchesOrParentMatches(filepath.ToSlash(rel)) }, nil
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, b := range builtServers {
		if b.path != "" {
			os.RemoveAll(filepath.Dir(b.path))
		}
	}
	os.Exit(code)
}

// TestDockerfileUsesBuildScript: the binary tested here is the one in the image only if the
// Dockerfile builds it with the same script, and copies nothing else into the runtime stage.
func TestDockerfileUsesBuildScript(t *testing.T) {
	stages := dockerfileStages(t)
	if len(stages) != 2 {
		t.Fatalf("Dockerfile has %d stages, want build and runtime", len(stages))
	}
	build, run := stages[0], stages[1]
	if !strings.HasPrefix(build.from, "golang:") || !strings.HasSuffix(build.from, "-bookworm") {
		t.Errorf("build stage FROM %q, want golang:…-bookworm (Debian 12, like the runtime)", build.from)
	}
	// Cross-compiled on the builder's platform for the image's (linux/amd64, linux/arm64), with
	// the packages and the script that make test uses (and the arm64 test cross-builds with).
	if got := build.lines["FROM --"]; !slices.Equal(got, []string{"platform=$BUILDPLATFORM"}) {
		t.Errorf("build stage FROM flags %q, want --platform=$BUILDPLATFORM (compile natively, cross-compile for the target)", got)
	}
	if !slices.Contains(build.lines["ARG"], "TARGETARCH") {
		t.Errorf("build stage does not declare ARG TARGETARCH: %q", build.lines["ARG"])
	}
	if !slices.ContainsFunc(build.lines["RUN"], func(s string) bool { return strings.HasPrefix(s, `scripts/install-deps.sh build "${TARGETARCH}"`) }) {
		t.Errorf("build stage does not install its packages with scripts/install-deps.sh build \"${TARGETARCH}\": %q", build.lines["RUN"])
	}
	if !strings.Contains(readRepoFile(t, "scripts/install-deps.sh"), "\nbuild_packages=(libopenh264-dev libde265-dev ") {
		t.Errorf("scripts/install-deps.sh: build_packages does not start with libopenh264-dev libde265-dev")
	}
	if !slices.Contains(build.lines["RUN"], "GOARCH=${TARGETARCH} scripts/runtime-libs.sh /out/root") {
		t.Errorf("build stage does not run GOARCH=${TARGETARCH} scripts/runtime-libs.sh /out/root: %q", build.lines["RUN"])
	}
	if !slices.ContainsFunc(build.lines["RUN"], func(s string) bool {
		return strings.Contains(s, "GOARCH=${TARGETARCH} VERSION=${VERSION} scripts/build-static.sh /out/server")
	}) {
		t.Errorf("build stage does not run GOARCH=${TARGETARCH} scripts/build-static.sh: %q", build.lines["RUN"])
	}

	if !strings.HasPrefix(run.from, "gcr.io/distroless/cc-debian12") {
		t.Errorf("runtime FROM %q, want gcr.io/distroless/cc-debian12", run.from)
	}
	if got := run.lines["COPY"]; !slices.Equal(got, []string{"--from=build /out/server /server", "--from=build /out/root/ /"}) {
		t.Errorf("runtime COPY %q, want only the binary and scripts/runtime-libs.sh's tree", got)
	}
	if got := run.lines["USER"]; len(got) != 1 || strings.HasPrefix(got[0], "0") || strings.HasPrefix(got[0], "root") {
		t.Errorf("runtime USER %q, want a non-root user", got)
	}
	if got := run.lines["HEALTHCHECK"]; len(got) != 1 || !strings.HasSuffix(got[0], `CMD ["/server", "healthcheck"]`) {
		t.Errorf("HEALTHCHECK %q, want the exec form of /server healthcheck (there is no shell)", got)
	}
	if got := run.lines["ENTRYPOINT"]; len(got) != 1 || got[0] != `["/server"]` {
		t.Errorf("ENTRYPOINT %q", got)
	}
}

type dockerStage struct {
	from  string
	lines map[string][]string // instruction -> arguments, continuation lines joined; "FROM --": FROM's flags
}

func dockerfileStages(t *testing.T) []dockerStage {
	t.Helper()
	var stages []dockerStage
	var logical strings.Builder
	for _, line := range strings.Split(readRepoFile(t, "Dockerfile"), "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if strings.HasSuffix(trimmed, `\`) {
			logical.WriteString(strings.TrimSuffix(trimmed, `\`) + " ")
			continue
		}
		logical.WriteString(trimmed)
		instr, args, _ := strings.Cut(logical.String(), " ")
		logical.Reset()
		args = strings.Join(strings.Fields(args), " ")
		switch instr = strings.ToUpper(instr); {
		case instr == "FROM":
			st := dockerStage{lines: map[string][]string{}}
			for _, f := range strings.Fields(args) {
				if flag, ok := strings.CutPrefix(f, "--"); ok {
					st.lines["FROM --"] = append(st.lines["FROM --"], flag)
				} else if st.from == "" {
					st.from = f
				}
			}
			stages = append(stages, st)
		case len(stages) > 0:
			stages[len(stages)-1].lines[instr] = append(stages[len(stages)-1].lines[instr], args)
		}
	}
	// The build stage's FROM names ${GO_VERSION}: resolve it from the ARG before the first FROM.
	if len(stages) > 0 {
		if v := dockerfileArg(readRepoFile(t, "Dockerfile"), "GO_VERSION"); v != "" {
			stages[0].from = strings.ReplaceAll(stages[0].from, "${GO_VERSION}", v)
		}
	}
	return stages
}

func dockerfileArg(dockerfile, name string) string {
	for _, line := range strings.Split(dockerfile, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "ARG "+name+"="); ok {
			return v
		}
	}
	return ""
}

// runtimeLibraries lists the shared-object files of runtimePackages for a Debian architecture
// (amd64, arm64), by path, as dpkg knows them on this (Debian 12) host. The architecture is
// named because a host with a second one (the arm64 cross build's) has both libc6 packages.
// Packages of a foreign architecture that are not installed are left out: the binary cannot
// need them then, and the check is only stricter.
func runtimeLibraries(t *testing.T, arch string) []string {
	t.Helper()
	needCommand(t, "dpkg-query")
	var libs []string
	for _, pkg := range runtimePackages {
		out, err := exec.Command("dpkg-query", "-L", pkg+":"+arch).Output()
		if err != nil {
			if pkg == "libc6" || arch == hostArch(t) {
				t.Fatalf("dpkg-query -L %s:%s: %v", pkg, arch, err)
			}
			continue
		}
		for _, p := range strings.Fields(string(out)) {
			if strings.Contains(p, ".so") && (strings.HasPrefix(p, "/lib") || strings.HasPrefix(p, "/usr/lib")) {
				if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
					libs = append(libs, p)
				}
			}
		}
	}
	if len(libs) == 0 {
		t.Fatalf("no libraries in %v for %s", runtimePackages, arch)
	}
	return libs
}

// shippedLibraries runs scripts/runtime-libs.sh for arch, as the Dockerfile's build stage does,
// into a temporary tree, and returns the tree and its shared objects (by path in the image).
func shippedLibraries(t *testing.T, arch string) (tree string, libs []string) {
	t.Helper()
	tree = t.TempDir()
	cmd := exec.Command(repoFile(t, "scripts/runtime-libs.sh"), tree)
	cmd.Env = append(os.Environ(), "GOARCH="+arch)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("GOARCH=%s scripts/runtime-libs.sh: %v\n%s", arch, err, out)
	}
	err := filepath.WalkDir(tree, func(path string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && strings.Contains(d.Name(), ".so") {
			libs = append(libs, strings.TrimPrefix(path, tree))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return tree, libs
}

// neededLibraries is an ELF file's DT_NEEDED entries.
func neededLibraries(t *testing.T, path string) []string {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	needed, err := f.ImportedLibraries()
	if err != nil {
		t.Fatal(err)
	}
	return needed
}

// checkRuntimeNeeds: the binary asks the dynamic loader for nothing but the runtime packages'
// libraries of arch and what scripts/runtime-libs.sh ships beside it (libde265, LGPL-3.0: it
// must be loaded, not linked in, so that it can be replaced), which in turn needs nothing but
// the runtime packages' libraries; and for its loader by a path those packages hold. It returns
// the file names of those libraries.
func checkRuntimeNeeds(t *testing.T, bin, arch string) map[string]bool {
	t.Helper()
	libs := runtimeLibraries(t, arch)
	have := map[string]bool{}
	for _, l := range libs {
		have[filepath.Base(l)] = true
	}
	tree, shipped := shippedLibraries(t, arch)
	t.Logf("%s: shipped beside the binary: %v", arch, shipped)
	for _, l := range shipped {
		for _, n := range neededLibraries(t, filepath.Join(tree, l)) {
			if !have[n] {
				t.Errorf("%s needs %s, which is not in %v (distroless cc-debian12)", l, n, runtimePackages)
			}
		}
		have[filepath.Base(l)] = true
	}

	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	needed := neededLibraries(t, bin)
	t.Logf("%s DT_NEEDED: %v", arch, needed)
	if !slices.Contains(needed, "libde265.so.0") {
		t.Errorf("the binary does not load libde265.so.0: libde265 (LGPL-3.0-or-later) must be linked dynamically")
	}
	for _, n := range needed {
		if !have[n] {
			t.Errorf("the binary needs %s, which is not in %v (distroless cc-debian12)", n, runtimePackages)
		}
		for _, static := range []string{"libopenh264", "libstdc++", "libgcc_s"} {
			if strings.HasPrefix(n, static) {
				t.Errorf("the binary needs %s: scripts/build-static.sh should link it statically", n)
			}
		}
	}
	interp := ""
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			b, _ := io.ReadAll(prog.Open())
			interp = string(bytes.TrimRight(b, "\x00"))
		}
	}
	if interp == "" || !slices.Contains(libs, interp) && !have[filepath.Base(interp)] {
		t.Errorf("program interpreter %q is not in %v", interp, runtimePackages)
	}
	return have
}

// hostArch is this host's Debian architecture (amd64, arm64).
func hostArch(t testing.TB) string {
	t.Helper()
	needCommand(t, "dpkg")
	out, err := exec.Command("dpkg", "--print-architecture").Output()
	if err != nil {
		t.Fatalf("dpkg --print-architecture: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// TestImageBinaryNeedsOnlyRuntimeLibraries: every DT_NEEDED entry and the program interpreter
// of the shipped binary are files the runtime image has; OpenH264, libstdc++ and libgcc_s are
// linked in (the image has no OpenH264 at all).
func TestImageBinaryNeedsOnlyRuntimeLibraries(t *testing.T) {
	bin := serverBinary(t)
	have := checkRuntimeNeeds(t, bin, hostArch(t))

	// ldd agrees, and resolves nothing outside the runtime packages' files.
	if ldd, err := exec.LookPath("ldd"); err == nil {
		out, err := exec.Command(ldd, bin).CombinedOutput()
		if err != nil {
			t.Fatalf("ldd: %v\n%s", err, out)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			name := strings.Fields(line)[0]
			if name == "linux-vdso.so.1" {
				continue // the kernel's, in every process
			}
			if !have[filepath.Base(name)] {
				t.Errorf("ldd: %q is not in the runtime image", line)
			}
		}
	}
}

// distrolessRoot assembles, in an empty directory, what distroless/cc-debian12 holds: the
// runtime packages' libraries at their paths, the CA certificates, passwd and group with the
// nonroot user, a sticky /tmp, and the binary at /server as the Dockerfile puts it.
func distrolessRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	if err := os.Chmod(root, 0o755); err != nil { // so that nonroot may walk it
		t.Fatal(err)
	}
	copyInto := func(src, dst string, mode os.FileMode) {
		t.Helper()
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		dst = filepath.Join(root, dst)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, mode); err != nil {
			t.Fatal(err)
		}
	}
	for _, lib := range runtimeLibraries(t, hostArch(t)) {
		copyInto(lib, lib, 0o755)
	}
	tree, _ := shippedLibraries(t, hostArch(t))
	err := filepath.WalkDir(tree, func(path string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			copyInto(path, strings.TrimPrefix(path, tree), 0o644)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// dpkg names the loader by its multiarch path; the ELF interpreter is the ABI's /lib64 one,
	// which Debian's libc6 also ships (a symlink there): give it the same file.
	if _, err := os.Stat("/lib64/ld-linux-x86-64.so.2"); err == nil {
		copyInto("/lib64/ld-linux-x86-64.so.2", "/lib64/ld-linux-x86-64.so.2", 0o755)
	}
	copyInto("/etc/ssl/certs/ca-certificates.crt", "/etc/ssl/certs/ca-certificates.crt", 0o644)
	files := map[string]string{
		"/etc/passwd": "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n",
		"/etc/group":  "root:x:0:\nnonroot:x:65532:\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(root, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"tmp", "home/nonroot"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(root, "tmp"), 0o1777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(filepath.Join(root, "home/nonroot"), nonroot, nonroot); err != nil {
		t.Fatal(err)
	}
	copyInto(serverBinary(t), "/server", 0o755)
	return root
}

// inRoot is /server with args, chrooted into root, as the image's user, with only the
// environment given (a container starts with nothing but what the image and compose set).
func inRoot(ctx context.Context, root string, env []string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "/server", args...)
	cmd.Path = "/server" // resolved inside the chroot, not on the host
	cmd.Dir = "/"
	cmd.Env = append([]string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/home/nonroot",
		"SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"}, env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Chroot:     root,
		Credential: &syscall.Credential{Uid: nonroot, Gid: nonroot},
	}
	return cmd
}

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root for chroot(2): run `sudo go test ./deploy/` to check the binary in a distroless-like root")
	}
}

// notBuiltYet reports whether a subcommand is still the placeholder of cmd/server.
func notBuiltYet(out []byte) bool { return bytes.Contains(out, []byte("not built yet")) }

// TestImageVersionInDistrolessRoot: the binary starts with nothing but the runtime image's
// files (the loader finds every library, libde265 among them) and reports the OpenH264 linked
// into it and the libde265 it loaded.
func TestImageVersionInDistrolessRoot(t *testing.T) {
	needRoot(t)
	root := distrolessRoot(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	out, err := inRoot(ctx, root, nil, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("server version in the distroless root: %v\n%s", err, out)
	}
	openh264, err := exec.Command("pkg-config", "--modversion", "openh264").Output()
	if err != nil {
		t.Fatal(err)
	}
	libde265, err := exec.Command("pkg-config", "--modversion", "libde265").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"server deploy-test", "OpenH264 " + strings.TrimSpace(string(openh264)), "libde265 " + strings.TrimSpace(string(libde265))} {
		if !strings.Contains(string(out), w) {
			t.Errorf("server version printed %q, want it to contain %q", out, w)
		}
	}
}

// TestImageConvertsHEVCInDistrolessRoot: in the same root, as nonroot, the binary converts a
// Main 10 HEVC source: libde265 is there, and so is everything it needs (libstdc++, libgcc_s).
// In process: the root has no /proc, where the decode worker finds its executable.
func TestImageConvertsHEVCInDistrolessRoot(t *testing.T) {
	needRoot(t)
	root := distrolessRoot(t)
	src, err := os.ReadFile(repoFile(t, "testdata/hevc/main10-250x142-24fps.mp4"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "home/nonroot/cover.mp4"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := inRoot(ctx, root, nil, "convert", "-isolate=false", "/home/nonroot/cover.mp4", "/tmp/cover.gif").CombinedOutput()
	if err != nil {
		t.Fatalf("server convert in the distroless root: %v\n%s", err, out)
	}
	gif, err := os.ReadFile(filepath.Join(root, "tmp/cover.gif"))
	if err != nil || !bytes.HasPrefix(gif, []byte("GIF89a")) || !bytes.Contains(out, []byte("frames out 48,")) {
		t.Errorf("no GIF of 48 frames (%v): %s", err, out)
	}
	t.Logf("%s", bytes.TrimSpace(out))
}

// TestImageServesInDistrolessRoot: in the same root, as nonroot, with the environment compose
// gives the container from .env.example (only the listen address moved to a free loopback
// port, and the in-process store instead of the redis service), `server serve` accepts every
// value, comes up, answers /healthz, and `server healthcheck` (the image's HEALTHCHECK, which
// finds the port through LISTEN_ADDR) says so with its exit status, and says the opposite once
// the service is gone.
func TestImageServesInDistrolessRoot(t *testing.T) {
	needRoot(t)
	root := distrolessRoot(t)
	port := freePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	overrides := map[string]string{
		"LISTEN_ADDR":     addr,
		"REDIS_URL":       "",
		"SERVER_BASE_URL": "http://" + addr,
	}
	var env []string
	for k, v := range exampleEnv(t) {
		if o, ok := overrides[k]; ok {
			v = o
		}
		env = append(env, k+"="+v)
	}
	for k, v := range overrides {
		env = append(env, k+"="+v)
	}
	slices.Sort(env)
	env = slices.Compact(env)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	serve := inRoot(ctx, root, env, "serve")
	p := start(t, "server serve (chroot)", serve)
	select {
	case <-p.done:
		if notBuiltYet([]byte(p.out.String())) {
			t.Skip("cmd/server/serve.go is still the \"not built yet\" placeholder")
		}
		t.Fatalf("server serve exited at once:\n%s", p.out.String())
	case <-time.After(200 * time.Millisecond):
	}
	waitHTTP(t, p, "http://"+addr+"/healthz", 200, 20*time.Second)

	healthcheck := func() ([]byte, error) {
		hctx, hcancel := context.WithTimeout(ctx, 10*time.Second)
		defer hcancel()
		return inRoot(hctx, root, env, "healthcheck").CombinedOutput()
	}
	out, err := healthcheck()
	if notBuiltYet(out) {
		t.Skip("cmd/server/healthcheck.go is still the \"not built yet\" placeholder")
	}
	if err != nil {
		t.Fatalf("server healthcheck against a healthy service: %v\n%s", err, out)
	}

	_ = syscall.Kill(-serve.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		t.Fatalf("server serve did not stop within 15 s of SIGTERM:\n%s", p.out.String())
	}
	out, err = healthcheck()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Errorf("server healthcheck with no service: %v, want a non-zero exit\n%s", err, out)
	}
}

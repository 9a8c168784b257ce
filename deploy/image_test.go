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
)

// runtimePackages are the Debian packages whose files distroless/cc-debian12 adds to a root
// file system, besides ca-certificates, tzdata, netbase and base-files (which hold no code).
// The image is assembled from Debian 12's own .debs, so this host's copies of these packages
// (Debian 12 too, as the README requires) are the image's libraries.
var runtimePackages = []string{"libc6", "libgcc-s1", "libgomp1", "libstdc++6"}

// nonroot is distroless's unprivileged user, the one the Dockerfile's USER names.
const nonroot = 65532

var built struct {
	once sync.Once
	path string
	err  error
}

// serverBinary builds cmd/server once per test run as the Dockerfile's build stage does: in a
// copy of the build context (the repository less what .dockerignore leaves out), with
// scripts/build-static.sh, the very script the Dockerfile runs. So these tests see the flags the
// image ships with, and a .dockerignore that drops something the build needs fails here.
func serverBinary(t testing.TB) string {
	t.Helper()
	needCommand(t, "pkg-config")
	built.once.Do(func() {
		dir, err := os.MkdirTemp("", "deploy-server-")
		if err != nil {
			built.err = err
			return
		}
		built.path = filepath.Join(dir, "server")
		buildContext := filepath.Join(dir, "context")
		if built.err = copyBuildContext(repoFile(t, ""), buildContext); built.err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, filepath.Join(buildContext, "scripts/build-static.sh"), built.path)
		cmd.Env = append(os.Environ(), "VERSION=deploy-test")
		if out, err := cmd.CombinedOutput(); err != nil {
			built.err = fmt.Errorf("scripts/build-static.sh in the build context: %v\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.path
}

// copyBuildContext copies what `docker build` would send from repo: every file except those
// .dockerignore excludes. Docker's rules for the patterns used there: a pattern is anchored at
// the context's root, matches with filepath.Match, excludes a directory's whole content when it
// matches the directory, and the last matching pattern wins (! re-includes).
func copyBuildContext(repo, to string) error {
	raw, err := os.ReadFile(filepath.Join(repo, ".dockerignore"))
	if err != nil {
		return err
	}
	type rule struct {
		pattern string
		include bool
	}
	var rules []rule
	for _, line := range strings.Split(string(raw), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		r := rule{}
		if r.pattern, r.include = strings.CutPrefix(line, "!"); strings.Contains(r.pattern, "**") {
			return fmt.Errorf(".dockerignore: %q: this test does not implement **", line)
		}
		r.pattern = strings.TrimPrefix(filepath.Clean(r.pattern), "/")
		rules = append(rules, r)
	}
	excluded := func(rel string) bool {
		out := false
		for _, r := range rules {
			for p := rel; p != "."; p = filepath.Dir(p) {
				if ok, _ := filepath.Match(r.pattern, p); ok {
					out = !r.include
					break
				}
			}
		}
		return out
	}
	return filepath.WalkDir(repo, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(repo, path)
		if rel == "." {
			return nil
		}
		if excluded(rel) {
			if d.IsDir() && rel == ".git" {
				return filepath.SkipDir // nothing under it can be re-included
			}
			return nil
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

func TestMain(m *testing.M) {
	code := m.Run()
	if built.path != "" {
		os.RemoveAll(filepath.Dir(built.path))
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
	for _, pkg := range []string{"libopenh264-dev", "libde265-dev"} {
		if !slices.ContainsFunc(build.lines["RUN"], func(s string) bool { return strings.Contains(s, pkg) }) {
			t.Errorf("build stage does not install %s", pkg)
		}
	}
	if !slices.ContainsFunc(build.lines["RUN"], func(s string) bool { return strings.HasSuffix(s, "scripts/runtime-libs.sh /out/root") }) {
		t.Errorf("build stage does not run scripts/runtime-libs.sh /out/root: %q", build.lines["RUN"])
	}
	if !slices.ContainsFunc(build.lines["RUN"], func(s string) bool { return strings.Contains(s, "scripts/build-static.sh /out/server") }) {
		t.Errorf("build stage does not run scripts/build-static.sh: %q", build.lines["RUN"])
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
	lines map[string][]string // instruction -> arguments, continuation lines joined
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
			from, _, _ := strings.Cut(args, " ")
			stages = append(stages, dockerStage{from: from, lines: map[string][]string{}})
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

// runtimeLibraries lists the shared-object files of runtimePackages, by path, as dpkg knows
// them on this (Debian 12) host.
func runtimeLibraries(t *testing.T) []string {
	t.Helper()
	needCommand(t, "dpkg-query")
	// Qualified with the build's own architecture: a host set up for cross builds has other
	// architectures' libc6 too, and an unqualified name is then ambiguous.
	arch, err := exec.Command("dpkg", "--print-architecture").Output()
	if err != nil {
		t.Skipf("dpkg --print-architecture: %v (not a Debian host?)", err)
	}
	var qualified []string
	for _, p := range runtimePackages {
		qualified = append(qualified, p+":"+strings.TrimSpace(string(arch)))
	}
	out, err := exec.Command("dpkg-query", append([]string{"-L"}, qualified...)...).Output()
	if err != nil {
		t.Skipf("dpkg-query -L %v: %v (not a Debian host?)", runtimePackages, err)
	}
	var libs []string
	for _, p := range strings.Fields(string(out)) {
		if strings.Contains(p, ".so") && (strings.HasPrefix(p, "/lib") || strings.HasPrefix(p, "/usr/lib")) {
			if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
				libs = append(libs, p)
			}
		}
	}
	if len(libs) == 0 {
		t.Fatalf("no libraries in %v", runtimePackages)
	}
	return libs
}

// shippedLibraries runs scripts/runtime-libs.sh, as the Dockerfile's build stage does, into a
// temporary tree, and returns the tree and its shared objects (by path in the image).
func shippedLibraries(t *testing.T) (tree string, libs []string) {
	t.Helper()
	tree = t.TempDir()
	if out, err := exec.Command(repoFile(t, "scripts/runtime-libs.sh"), tree).CombinedOutput(); err != nil {
		t.Fatalf("scripts/runtime-libs.sh: %v\n%s", err, out)
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

// TestImageBinaryNeedsOnlyRuntimeLibraries: every DT_NEEDED entry and the program interpreter
// of the shipped binary are files the runtime image has; OpenH264, libstdc++ and libgcc_s are
// linked in (the image has no OpenH264 at all); libde265 is not (LGPL: it stays replaceable), and
// the image carries it, with nothing it needs that the runtime image lacks.
func TestImageBinaryNeedsOnlyRuntimeLibraries(t *testing.T) {
	bin := serverBinary(t)
	libs := runtimeLibraries(t)
	have := map[string]bool{}
	for _, l := range libs {
		have[filepath.Base(l)] = true
	}
	tree, shipped := shippedLibraries(t)
	t.Logf("shipped beside the binary: %v", shipped)
	for _, l := range shipped {
		for _, n := range neededLibraries(t, filepath.Join(tree, l)) {
			if !have[n] {
				t.Errorf("%s needs %s, which is not in %v (distroless cc-debian12)", l, n, runtimePackages)
			}
		}
		have[filepath.Base(l)] = true
	}
	needed := neededLibraries(t, bin)
	t.Logf("DT_NEEDED: %v", needed)
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
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
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
	for _, lib := range runtimeLibraries(t) {
		copyInto(lib, lib, 0o755)
	}
	tree, _ := shippedLibraries(t)
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

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"golang.org/x/crypto/bcrypt"

	"github.com/musicpresence/animated-album-covers/httpapi"
)

// unsetForTest unsets each variable for the rest of the test; t.Setenv restores it afterwards.
func unsetForTest(t *testing.T, names ...string) {
	t.Helper()
	for _, name := range names {
		t.Setenv(name, "")
		if err := os.Unsetenv(name); err != nil {
			t.Fatal(err)
		}
	}
}

// A .env file reads as Docker Compose reads it: quotes, escapes, `export `, comments and
// interpolation; the real environment wins over the file, also inside an interpolation.
func TestLoadDotEnv(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".env")
	content := strings.Join([]string{
		"# comment",
		"",
		"export AAC_DOTENV_EXPORTED=one",
		`AAC_DOTENV_SINGLE='$2a$10$x y'`,
		`AAC_DOTENV_DOUBLE="two\nlines"`,
		"AAC_DOTENV_COMMENTED=three # trailing",
		"AAC_DOTENV_SET=file",
		"AAC_DOTENV_EARLIER=${AAC_DOTENV_EXPORTED}-more",
		"AAC_DOTENV_FROM_ENV=${AAC_DOTENV_SET}",
		"AAC_DOTENV_DEFAULT=${AAC_DOTENV_UNSET:-fallback}",
		"AAC_DOTENV_DOLLAR=$AAC_DOTENV_EXPORTED$2",
		"",
	}, "\n")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	unsetForTest(t, "AAC_DOTENV_EXPORTED", "AAC_DOTENV_SINGLE", "AAC_DOTENV_DOUBLE", "AAC_DOTENV_COMMENTED",
		"AAC_DOTENV_EARLIER", "AAC_DOTENV_FROM_ENV", "AAC_DOTENV_DEFAULT", "AAC_DOTENV_UNSET", "AAC_DOTENV_DOLLAR")
	t.Setenv("AAC_DOTENV_SET", "environment")
	if err := loadDotEnv(path); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"AAC_DOTENV_EXPORTED":  "one",
		"AAC_DOTENV_SINGLE":    "$2a$10$x y", // single quotes: no interpolation
		"AAC_DOTENV_DOUBLE":    "two\nlines",
		"AAC_DOTENV_COMMENTED": "three",
		"AAC_DOTENV_SET":       "environment",
		"AAC_DOTENV_EARLIER":   "one-more",
		"AAC_DOTENV_FROM_ENV":  "environment",
		"AAC_DOTENV_DEFAULT":   "fallback",
		"AAC_DOTENV_DOLLAR":    "one$2", // unquoted: interpolated ($2 names no variable)
	} {
		if got := os.Getenv(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}

	if err := loadDotEnv(filepath.Join(t.TempDir(), "missing")); err != nil {
		t.Errorf("missing file: %v", err)
	}
	for _, bad := range []string{"AAC DOTENV=1\n", "AAC_DOTENV_X=\"unterminated\n", "AAC_DOTENV_X=${AAC_DOTENV_UNSET:?must be set}\n"} {
		file := filepath.Join(t.TempDir(), "bad")
		if err := os.WriteFile(file, []byte(bad), 0o600); err != nil {
			t.Fatal(err)
		}
		err := loadDotEnv(file)
		if err == nil || !strings.Contains(err.Error(), file) {
			t.Errorf("%q: %v, want an error naming the file", bad, err)
		}
	}
}

// .env.example, read by `server serve` as Compose reads it, is what the deployment tests read
// with Compose's parser, and a configuration the service takes, the metrics password's bcrypt
// hash (in single quotes there) included.
func TestDotEnvExample(t *testing.T) {
	example := filepath.Join("..", "..", ".env.example")
	compose, err := dotenv.GetEnvFromFile(nil, []string{example})
	if err != nil {
		t.Fatal(err)
	}
	for name := range compose {
		unsetForTest(t, name)
	}
	if err := loadDotEnv(example); err != nil {
		t.Fatal(err)
	}
	for name, want := range compose {
		if got, ok := os.LookupEnv(name); !ok || got != want {
			t.Errorf("%s = %q (set %v), Compose reads %q", name, got, ok, want)
		}
	}
	cfg, err := httpapi.LoadConfig(os.LookupEnv)
	if err != nil {
		t.Fatalf(".env.example is not a configuration the service takes: %v", err)
	}
	if err := bcrypt.CompareHashAndPassword([]byte(cfg.MetricsBcryptHash), []byte("change-me")); err != nil {
		t.Errorf("METRICS_AUTH_PASSWORD_BCRYPT read as %q: %v", cfg.MetricsBcryptHash, err)
	}
}

package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/compose-spec/compose-go/v2/dotenv"
)

// loadDotEnv sets the variables of the .env file at path that the environment does not already
// set: the real environment wins, as with Docker Compose. The file is read with Compose's own
// parser (compose-go's dotenv), so that what Compose accepts the service accepts, and reads the
// same: quotes, escapes in double quotes, `export `, comments, and ${NAME} interpolation (from
// the environment first, then from the file's earlier lines; never inside single quotes). A
// missing file is not an error.
func loadDotEnv(path string) error {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	environment := make(map[string]string)
	for _, kv := range os.Environ() {
		if name, value, ok := strings.Cut(kv, "="); ok {
			environment[name] = value
		}
	}
	vars, err := dotenv.GetEnvFromFile(environment, []string{path})
	if err != nil {
		return fmt.Errorf("dotenv: %w", err)
	}
	for name, value := range vars {
		if _, set := environment[name]; set {
			continue
		}
		if err := os.Setenv(name, value); err != nil {
			return fmt.Errorf("dotenv: %s: %s: %w", path, name, err)
		}
	}
	return nil
}

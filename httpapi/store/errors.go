package store

import "github.com/musicpresence/animated-album-covers/internal/errclass"

// ErrNotFound: a token or result is unknown or expired (errclass.ErrNotFound, whose class
// answers 404).
var ErrNotFound = errclass.ErrNotFound

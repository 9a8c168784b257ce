// Package errclasstest makes, for tests, an error of each class of internal/errclass as the
// packages make theirs, to send across the boundaries the classes cross (the decode worker's
// pipe, the Redis follow path, the HTTP answers). Only tests import it.
package errclasstest

import (
	"errors"
	"fmt"
	"strings"

	"github.com/musicpresence/animated-album-covers/internal/errclass"
)

// Error is an error of class c as the packages make them: each sentinel of the class wrapped
// with %w, in the table's order, then what failed. For errclass.Other, whose errors wrap no
// sentinel, it is what failed alone; for errclass.None, nil.
func Error(c errclass.Class, what string) error {
	switch c.Name {
	case errclass.None.Name:
		return nil
	case errclass.Other.Name:
		return errors.New(what)
	}
	args := make([]any, 0, len(c.Errs)+1)
	for _, e := range c.Errs {
		args = append(args, e)
	}
	return fmt.Errorf(strings.Repeat("%w: ", len(c.Errs))+"%s", append(args, what)...)
}

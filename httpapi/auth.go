package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"

	"golang.org/x/crypto/bcrypt"
)

// basicAuth checks HTTP Basic credentials (RFC 7617) against a fixed user name and password.
// Both are compared as SHA-256 sums with subtle.ConstantTimeCompare, so neither the time taken
// nor an early exit tells an attacker how much of a guess was right, or how long the secret is.
type basicAuth struct {
	realm    string
	user     [sha256.Size]byte
	password [sha256.Size]byte
}

func newBasicAuth(realm, user, password string) *basicAuth {
	return &basicAuth{realm: realm, user: sha256.Sum256([]byte(user)), password: sha256.Sum256([]byte(password))}
}

func (a *basicAuth) allow(r *http.Request) bool {
	user, password, ok := r.BasicAuth()
	if !ok {
		return false
	}
	u := sha256.Sum256([]byte(user))
	p := sha256.Sum256([]byte(password))
	// Both comparisons always run: no short circuit on a wrong user name.
	userOK := subtle.ConstantTimeCompare(u[:], a.user[:])
	passwordOK := subtle.ConstantTimeCompare(p[:], a.password[:])
	return userOK&passwordOK == 1
}

func (a *basicAuth) challenge(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Basic realm="`+a.realm+`", charset="UTF-8"`)
	writeError(w, http.StatusUnauthorized, "missing or wrong credentials")
}

// bcryptAuth checks HTTP Basic credentials against a bcrypt hash, as Caddy's hash-password
// makes them, for /metrics. bcrypt is slow on purpose; Prometheus scrapes rarely.
type bcryptAuth struct {
	realm string
	user  [sha256.Size]byte
	hash  []byte
}

func newBcryptAuth(realm, user, hash string) *bcryptAuth {
	return &bcryptAuth{realm: realm, user: sha256.Sum256([]byte(user)), hash: []byte(hash)}
}

func (a *bcryptAuth) allow(r *http.Request) bool {
	user, password, ok := r.BasicAuth()
	if !ok {
		return false
	}
	u := sha256.Sum256([]byte(user))
	userOK := subtle.ConstantTimeCompare(u[:], a.user[:]) == 1
	// The hash is checked even for a wrong user, so that timing does not reveal the user name.
	passwordOK := bcrypt.CompareHashAndPassword(a.hash, []byte(password)) == nil
	return userOK && passwordOK
}

func (a *bcryptAuth) challenge(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Basic realm="`+a.realm+`", charset="UTF-8"`)
	writeError(w, http.StatusUnauthorized, "missing or wrong credentials")
}

// Package client is a Go client of the service, as Music Presence's desktop clients use it: ask
// /token of the instance that rendezvous hashing picks for the source, then fetch the GIF.
package client

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client talks to a set of instances.
type Client struct {
	// Instances are the base URLs of the instances, e.g. https://covers.example.org.
	Instances []string
	// Username and Password are the Basic credentials of /token.
	Username, Password string
	// HTTP does the requests; nil: http.DefaultClient.
	HTTP *http.Client
}

// Key is what a token stands for.
type Key struct {
	URL string `json:"url"`
	IFM string `json:"ifm"`
	OFM string `json:"ofm"`
}

// Token is the answer of /token.
type Token struct {
	URL     string `json:"url"`   // the /convert.gif URL to hand to Discord
	Token   string `json:"token"` //
	Expires int64  `json:"expires"`
	Key     Key    `json:"key"`
}

// ExpiresAt is when the token stops working.
func (t Token) ExpiresAt() time.Time { return time.Unix(t.Expires, 0) }

// StatusError is an error answer of the service.
type StatusError struct {
	StatusCode int           `json:"statusCode"`
	Reason     string        `json:"error"`
	Message    string        `json:"message"`
	RetryAfter time.Duration `json:"-"` // from Retry-After, on 503
}

// Error says the status and the service's message.
func (e *StatusError) Error() string {
	return fmt.Sprintf("animated-album-covers: %d %s: %s", e.StatusCode, e.Reason, e.Message)
}

// Instance picks the instance for sourceURL by rendezvous (highest random weight) hashing: each
// instance scores SHA-256(instance + "\n" + sourceURL) and the highest wins. Every client picks
// the same instance for a URL, so its cache serves them all; when an instance is added or
// removed, only the URLs it wins or won move.
func (c *Client) Instance(sourceURL string) (string, error) {
	if len(c.Instances) == 0 {
		return "", errors.New("animated-album-covers: no instances")
	}
	best, bestScore := "", uint64(0)
	for _, inst := range c.Instances {
		inst = strings.TrimRight(inst, "/")
		sum := sha256.Sum256([]byte(inst + "\n" + sourceURL))
		score := binary.BigEndian.Uint64(sum[:8])
		if best == "" || score > bestScore || (score == bestScore && inst < best) {
			best, bestScore = inst, score
		}
	}
	return best, nil
}

func (c *Client) http() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return http.DefaultClient
}

// Token asks the instance of sourceURL for a token; ifm is mp4, m3u8 or auto. The conversion
// starts at once, in the background.
func (c *Client) Token(ctx context.Context, sourceURL, ifm string) (Token, error) {
	inst, err := c.Instance(sourceURL)
	if err != nil {
		return Token{}, err
	}
	q := url.Values{"url": {sourceURL}, "ifm": {ifm}, "ofm": {"gif"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, inst+"/token?"+q.Encode(), nil)
	if err != nil {
		return Token{}, fmt.Errorf("animated-album-covers: token: %w", err)
	}
	req.SetBasicAuth(c.Username, c.Password)
	res, err := c.http().Do(req)
	if err != nil {
		return Token{}, fmt.Errorf("animated-album-covers: token: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return Token{}, statusError(res)
	}
	var t Token
	if err := json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(&t); err != nil {
		return Token{}, fmt.Errorf("animated-album-covers: token: %w", err)
	}
	return t, nil
}

// Convert fetches the GIF of a token URL. The body streams while the conversion runs; a read
// error (not io.EOF) means the conversion failed midway and the bytes so far are no GIF.
func (c *Client) Convert(ctx context.Context, tokenURL string) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, tokenURL, nil)
	if err != nil {
		return nil, fmt.Errorf("animated-album-covers: convert: %w", err)
	}
	res, err := c.http().Do(req)
	if err != nil {
		return nil, fmt.Errorf("animated-album-covers: convert: %w", err)
	}
	if res.StatusCode != http.StatusOK {
		defer res.Body.Close()
		return nil, statusError(res)
	}
	return res.Body, nil
}

func statusError(res *http.Response) error {
	e := &StatusError{StatusCode: res.StatusCode, Reason: http.StatusText(res.StatusCode)}
	body, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	if err := json.Unmarshal(body, e); err != nil || e.Message == "" {
		e.Message = strings.TrimSpace(string(body))
	}
	if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err == nil {
		e.RetryAfter = time.Duration(s) * time.Second
	}
	return e
}

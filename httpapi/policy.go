package httpapi

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/musicpresence/animated-album-covers/codec"
)

// maxRedirects bounds the redirects followed for one source request.
const maxRedirects = 5

// SourcePolicy decides which sources the service may fetch: only the whitelisted hosts (exact,
// case-insensitive), over http or https, and, unless private sources are allowed, only public
// addresses. The host check runs on every URL (the first, each redirect, each playlist entry,
// through CheckURL and the client's CheckRedirect); the address check runs on the address
// actually dialled, after DNS, so a whitelisted name that resolves (or is rebound) to an
// internal address does not reach it.
type SourcePolicy struct {
	hosts        []string // lower case
	allowPrivate bool
	dialTimeout  time.Duration
}

// NewSourcePolicy makes the policy of the configuration.
func NewSourcePolicy(cfg Config) *SourcePolicy {
	return &SourcePolicy{hosts: cfg.SourceHosts, allowPrivate: cfg.AllowPrivateSources, dialTimeout: cfg.StreamHTTPTimeout}
}

// CheckURL refuses a URL whose scheme is not http(s) or whose host is not whitelisted. Its
// errors wrap codec.ErrForbidden. It has the signature of the codec's CheckURL hook.
func (p *SourcePolicy) CheckURL(_ context.Context, u *url.URL) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%w: scheme %q (want http or https)", codec.ErrForbidden, u.Scheme)
	}
	if u.User != nil {
		// http://origin.test@127.0.0.1/ reads to a person as the whitelisted host; and no
		// source needs credentials of ours sent to it.
		return fmt.Errorf("%w: user information in a source URL", codec.ErrForbidden)
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if !slices.Contains(p.hosts, host) {
		return fmt.Errorf("%w: host %q is not in SOURCE_HOSTNAME_WHITELIST", codec.ErrForbidden, u.Hostname())
	}
	return nil
}

// CheckAddress refuses addresses a public service must not reach on a user's behalf: loopback,
// private (RFC 1918, RFC 4193), link-local, multicast, unspecified, and the IPv4 shared and
// benchmarking ranges; unless private sources are allowed.
func (p *SourcePolicy) CheckAddress(addr netip.Addr) error {
	if p.allowPrivate {
		return nil
	}
	addr = addr.Unmap()
	if addr.IsLoopback() || addr.IsPrivate() || addr.IsLinkLocalUnicast() || addr.IsLinkLocalMulticast() ||
		addr.IsInterfaceLocalMulticast() || addr.IsMulticast() || addr.IsUnspecified() || !addr.IsValid() {
		return fmt.Errorf("%w: address %s is not public", codec.ErrForbidden, addr)
	}
	for _, prefix := range nonPublicPrefixes {
		if prefix.Contains(addr) {
			return fmt.Errorf("%w: address %s is not public", codec.ErrForbidden, addr)
		}
	}
	return nil
}

// nonPublicPrefixes are the ranges netip has no predicate for.
var nonPublicPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),      // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),  // carrier-grade NAT (RFC 6598)
	netip.MustParsePrefix("192.0.0.0/24"),   // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),  // benchmarking (RFC 2544)
	netip.MustParsePrefix("240.0.0.0/4"),    // reserved, broadcast
	netip.MustParsePrefix("64:ff9b:1::/48"), // local-use IPv4/IPv6 translation
	netip.MustParsePrefix("2001:db8::/32"),  // documentation
}

// control runs after DNS, just before connect(2), on the address actually dialled.
func (p *SourcePolicy) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: dial %q: %w", codec.ErrForbidden, address, err)
	}
	return p.CheckAddress(ap.Addr())
}

// Transport returns an HTTP transport that dials only addresses the policy allows, and never
// through a proxy from the environment (a proxy would dial for us, unchecked).
func (p *SourcePolicy) Transport() *http.Transport {
	dialer := &net.Dialer{Timeout: p.dialTimeout, KeepAlive: 30 * time.Second, Control: p.control}
	return &http.Transport{
		Proxy:                  nil,
		DialContext:            dialer.DialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           64,
		MaxIdleConnsPerHost:    16,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    10 * time.Second,
		ResponseHeaderTimeout:  p.dialTimeout,
		MaxResponseHeaderBytes: 64 << 10,
	}
}

// Client returns the HTTP client for sources: the policy's transport, and every redirect
// checked against the whitelist before it is followed.
func (p *SourcePolicy) Client() *http.Client {
	return &http.Client{
		Transport: p.Transport(),
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= maxRedirects {
				return fmt.Errorf("%w: more than %d redirects", codec.ErrOrigin, maxRedirects)
			}
			return p.CheckURL(req.Context(), req.URL)
		},
	}
}

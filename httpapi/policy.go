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

// sourcePolicy decides which sources the service may fetch: only the whitelisted hosts (exact,
// case-insensitive), over http or https, and, unless private sources are allowed, only public
// addresses. The host check (checkURL) runs on every URL: fetching asks it for the first, each
// redirect (within fetch.MaxRedirects) and each playlist entry. The address check runs on the
// address actually dialled, after DNS, so a whitelisted name that resolves (or is rebound) to
// an internal address does not reach it.
type sourcePolicy struct {
	hosts        []string // lower case
	allowPrivate bool
	dialTimeout  time.Duration
}

// newSourcePolicy makes the policy of the configuration.
func newSourcePolicy(cfg Config) *sourcePolicy {
	return &sourcePolicy{hosts: cfg.SourceHosts, allowPrivate: cfg.AllowPrivateSources, dialTimeout: cfg.Conversion.Source.Fetch.Timeout}
}

// checkURL refuses a URL whose scheme is not http(s) or whose host is not whitelisted. Its
// errors wrap codec.ErrForbidden. It has the signature of fetch.Options.CheckURL.
func (p *sourcePolicy) checkURL(_ context.Context, u *url.URL) error {
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

// checkAddress refuses addresses a public service must not reach on a user's behalf: loopback,
// private (RFC 1918, RFC 4193), link-local, multicast, unspecified, and the IPv4 shared and
// benchmarking ranges; unless private sources are allowed.
func (p *sourcePolicy) checkAddress(addr netip.Addr) error {
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
func (p *sourcePolicy) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: dial %q: %w", codec.ErrForbidden, address, err)
	}
	return p.checkAddress(ap.Addr())
}

// transport returns an HTTP transport that dials only addresses the policy allows, and never
// through a proxy from the environment (a proxy would dial for us, unchecked).
func (p *sourcePolicy) transport() *http.Transport {
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

// client returns the HTTP client for sources: the policy's transport. Redirects are checked by
// fetching itself, against checkURL.
func (p *sourcePolicy) client() *http.Client {
	return &http.Client{Transport: p.transport()}
}

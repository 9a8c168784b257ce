package httpapi

import (
	"net/netip"
	"testing"
)

func TestCheckAddress(t *testing.T) {
	strict := &sourcePolicy{}
	open := &sourcePolicy{allowPrivate: true}
	for addr, public := range map[string]bool{
		"127.0.0.1": false, "::1": false, "10.1.2.3": false, "172.16.0.1": false, "192.168.1.1": false,
		"169.254.169.254": false, "fe80::1": false, "224.0.0.1": false, "ff02::1": false, "0.0.0.0": false,
		"::": false, "100.64.0.1": false, "fd00::1": false, "::ffff:127.0.0.1": false, "::ffff:10.0.0.1": false,
		"93.184.216.34": true, "2606:4700::1111": true, "17.253.144.10": true,
	} {
		err := strict.checkAddress(netip.MustParseAddr(addr))
		if (err == nil) != public {
			t.Errorf("%s: %v, want public=%v", addr, err, public)
		}
		if err := open.checkAddress(netip.MustParseAddr(addr)); err != nil {
			t.Errorf("%s with private sources allowed: %v", addr, err)
		}
	}
}

// Redirects are left to fetching, which checks each against the policy once and holds the one
// redirect limit (TestRedirectLimit): the policy's client adds no check of its own.
func TestPolicyClientLeavesRedirectsToFetching(t *testing.T) {
	if c := newSourcePolicy(testConfig(t)).client(); c.CheckRedirect != nil || c.Transport == nil {
		t.Errorf("client %+v: want the policy's transport and no CheckRedirect", c)
	}
}

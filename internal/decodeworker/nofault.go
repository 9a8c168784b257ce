//go:build !faultinject

package decodeworker

import "github.com/musicpresence/animated-album-covers/codec"

// A release build injects no fault: see fault.go.

func faultEnv() []string { return nil }

func withFault(convert Converter, _ codec.StreamInfo) Converter { return convert }

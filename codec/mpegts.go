package codec

func openTS(in *mediaStream, container string) (Source, error) {
	return nil, ErrUnsupported
}

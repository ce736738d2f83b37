"""files: where the bytes land: target names and checks, the one atomic writer, CSV digest and header styles."""

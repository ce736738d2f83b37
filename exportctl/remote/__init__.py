"""Targets in object storage (s3://, gs://, az://): URL parsing (standard library) and the upload (obstore, lazily)."""

"""jobs: running exports against the API, no terminal (named so that `exportctl.export` stays the function)."""

"""jobs: running exports against the API, no terminal: plan, single, poll, download, split, batch, incremental.

Named jobs rather than export, so that `exportctl.export` stays the library function.
"""

"""State: what exportctl keeps between runs, in one versioned-JSON store with one lock.

- `store.py`: the interface (`read -> Snapshot(doc, token)`, `write_if_unchanged`, `lock`) and the local
  backend `LocalJsonStore`; documents carry a format version, and one newer than this exportctl reads is
  refused rather than misread;
- `local.py`: the local file's no-follow, bounded read and its atomic replace (O_EXCL temporary file under an
  unpredictable name, fsync, rename, fsync of the directory);
- `lock.py`: the one flock of exportctl (state files, the profile file, a download's `.part`, a database's
  load lock).

Users: incremental watermarks (jobs/watermarks.py), split manifests (jobs/split_manifest.py), the poll
history (files/poll_history.py), the profile file (files/locked_update.py). Layer 1: it imports only
layer 0 (errors, profile_reading), so files/ may build on it.
"""

"""Upload throughput: exportctl's verified upload beside the same upload done by obstore alone.

    python benchmarks/upload.py            # an 800 MB file, 3 rounds
    python benchmarks/upload.py --quick    # a 96 MB file, 1 round

Both send the same local file to the same S3 server (moto's, in a process of its own on 127.0.0.1, so its
work does not share this process's GIL), in parts of the same size with the same concurrency:

- exportctl: `exportctl.remote.upload.upload_file` (reads the file in parts, counts and hashes them, checks the
  sha256 before the last part, stores it as metadata, `--force` so each round replaces the object);
- obstore:   `obstore.put(store, key, Path)`, the library's own reading of the file.

The rounds alternate (exportctl, obstore, exportctl, ...); the figure is each one's median MB/s and the
ratio exportctl / obstore (the issue's target: >= 0.9). The machine is shared and noisy: treat one run's
figure as a sample. Needs the test extra (moto[server]) and the cloud extra (obstore).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BUCKET = "bench-uploads"
FULL_MB = 800
QUICK_MB = 96


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start_moto() -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("moto's server did not start")


def _file(directory: Path, megabytes: int) -> tuple[Path, str]:
    path = directory / "export.csv"
    digest = hashlib.sha256()
    block = os.urandom(1024 * 1024)
    with path.open("wb") as handle:
        for _ in range(megabytes):
            handle.write(block)
            digest.update(block)
    return path, digest.hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_MB} MB, one round")
    parser.add_argument("--rounds", type=int, default=None)
    args = parser.parse_args()
    megabytes = QUICK_MB if args.quick else FULL_MB
    rounds = args.rounds or (1 if args.quick else 3)

    process, endpoint = _start_moto()
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench-secret",
        AWS_ENDPOINT_URL=endpoint,
        AWS_REGION="us-east-1",
        EXPORTCTL_UPLOAD_SINGLE_MAX="0",  # in parts, as obstore's put of a file this size
    )
    try:
        import obstore
        import requests

        from exportctl.remote import upload
        from exportctl.remote.store import open_store
        from exportctl.remote.urls import RemoteUrl

        requests.put(f"{endpoint}/{BUCKET}", timeout=30).raise_for_status()
        url = RemoteUrl("s3", BUCKET, "export.csv")
        store = open_store(url)
        with tempfile.TemporaryDirectory() as directory:
            path, sha = _file(Path(directory), megabytes)
            seconds: dict[str, list[float]] = {"exportctl": [], "obstore": []}
            for _ in range(rounds):
                started = time.perf_counter()
                upload.upload_file(path, url, sha256=sha, force=True, store=store)
                seconds["exportctl"].append(time.perf_counter() - started)
                started = time.perf_counter()
                obstore.put(
                    store,
                    "alone.csv",
                    path,
                    chunk_size=upload.PART_SIZE,
                    max_concurrency=upload.PARTS_IN_FLIGHT,
                )
                seconds["obstore"].append(time.perf_counter() - started)
    finally:
        process.terminate()
        process.wait()
    rates = {name: megabytes / statistics.median(values) for name, values in seconds.items()}
    print(f"upload of {megabytes} MB to moto's S3 on 127.0.0.1, {rounds} round(s), median:")
    for name, rate in rates.items():
        print(f"  {name:<9} {rate:8.1f} MB/s")
    ratio = rates["exportctl"] / rates["obstore"]
    print(f"  ratio     {ratio:8.2f} (target >= 0.9: {'met' if ratio >= 0.9 else 'missed'})")


if __name__ == "__main__":
    main()

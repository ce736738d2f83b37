"""Which origins may see the credentials: the API's and its cluster's download host, by scheme, host and port.

Standard library only.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from exportctl.settings import download_base_for


def origin(url: str) -> str:
    """`scheme://host:port` of `url`, lower case, with the scheme's default port spelled out.

    Trust is given to the three together: `http://api.example:443` is not `https://api.example`, and a
    secret sent to it would cross the network in clear text.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        return ""
    if port is None:
        port = {"https": 443, "http": 80}.get(scheme)
    return f"{scheme}://{(parts.hostname or '').lower()}:{port}"


def trusted_origins(base_url: str) -> frozenset[str]:
    """The origins that may see the credentials: the API's, and its cluster's download host, same scheme."""
    api = urlsplit(base_url)
    scheme = api.scheme.lower()
    hosts = {origin(base_url)}
    download = download_base_for(base_url)
    if download is not None:
        hosts.add(origin(download))
    labels = (api.hostname or "").lower().split(".")
    # Dedicated clusters follow the same naming: <name>.api.voucherify.io -> <name>.download.voucherify.io.
    if "api" in labels[:-2]:
        index = labels.index("api")
        host = ".".join([*labels[:index], "download", *labels[index + 1 :]])
        hosts.add(origin(f"{scheme}://{host}" + (f":{api.port}" if api.port else "")))
    return frozenset(hosts)

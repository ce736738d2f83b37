"""A local, Voucherify-compatible export API with deterministic generated data.

    from exportctl.sandbox import Sandbox, Timing
    with Sandbox(seed=42, scale=0.01, as_of=date(2026, 11, 1), timing=Timing(scheduled=0.05, in_progress=0.2)) as sb:
        ...  # sb.base_url, sb.app_id, sb.secret_key, sb.faults, sb.store

Standard library only; see docs/sandbox.md.
"""

from exportctl.sandbox.dbfile import SandboxDatabaseError
from exportctl.sandbox.faults import Faults
from exportctl.sandbox.runner import Sandbox
from exportctl.sandbox.store import Store
from exportctl.sandbox.worker import Timing

__all__ = ["Faults", "Sandbox", "SandboxDatabaseError", "Store", "Timing"]

"""Per-household values derived from the size table (space norm, orientation area), vectorised."""

from __future__ import annotations

import numpy as np

from matching.domain.policy import Policy


def size_lookup(policy: Policy, sizes: np.ndarray, attribute: str) -> np.ndarray:
    """`policy.sizes.row(size).<attribute>` for every element of `sizes`."""
    sizes = np.asarray(sizes)
    top = int(sizes.max()) if sizes.size else 1
    table = np.array([getattr(policy.sizes.row(n), attribute) for n in range(1, max(top, 1) + 1)], dtype=np.float64)
    return table[np.clip(sizes, 1, None) - 1]

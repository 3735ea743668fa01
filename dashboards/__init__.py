"""CWB dashboard: plain Python (no Dagster), reads the marts (dashboards.data.MARTS) and writes one HTML file.

The functions are imported lazily, so ``python -m dashboards.spend_dashboard`` runs without a warning.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = [
    "build_figures",
    "load_dashboard_data",
    "load_spend_by_tier",
    "query_spend_by_tier",
    "render_dashboard",
    "summarise",
]

if TYPE_CHECKING:
    from dashboards.spend_dashboard import (
        build_figures,
        load_dashboard_data,
        load_spend_by_tier,
        query_spend_by_tier,
        render_dashboard,
        summarise,
    )


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("dashboards.spend_dashboard"), name)
    raise AttributeError(f"module 'dashboards' has no attribute {name!r}")

"""The operator web console and HTTP API (FastAPI). `create_app(settings)` builds the application.

Imported lazily so that `dialer.web.settings` (the `[web]` settings model) loads without the web extra.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dialer.web.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from dialer.web.app import create_app

        return create_app
    raise AttributeError(name)

"""The operator web console and HTTP API (FastAPI). `create_app(settings)` builds the application."""

from dialer.web.app import create_app

__all__ = ["create_app"]

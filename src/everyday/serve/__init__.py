"""serve stage: the live HTTP API, admin endpoints and the built site, from one process."""

from .app import create_app
from .state import ServeSettings, load_serve_settings

__all__ = ["ServeSettings", "create_app", "load_serve_settings"]

"""The embedded engine: runs a Rasa-format script in-process, deterministically, with no server."""

from dialogue.embedded.engine import EmbeddedEngine
from dialogue.embedded.policy import EmbeddedPolicy

__all__ = ["EmbeddedEngine", "EmbeddedPolicy"]

"""Recognizer implementations, one per module; heavy engines import lazily."""

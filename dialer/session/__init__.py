"""The call session: conducts one answered call (machine detection, dialogue turns, barge-in)."""

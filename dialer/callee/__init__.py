"""The simulated callee: answers the dialer's calls on loopback and plays a persona (tests and demos)."""

"""The daemon behind `dialer run`: claims due attempts, hands them to call workers, records results."""

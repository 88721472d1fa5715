"""The triage pipeline, its domain types, the case store and audit log, and the command line."""

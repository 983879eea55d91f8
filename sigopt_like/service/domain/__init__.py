"""Pure campaign logic: the state machine and its rules (no HTTP, no database)."""

"""What central does with stations' answers to session commands (filled in by the remote-operations work)."""

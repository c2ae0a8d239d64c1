"""What central does with stations' answers to commands (filled in by the remote-operations work)."""

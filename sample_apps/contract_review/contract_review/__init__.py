"""Contract review assistant (static prototype)."""

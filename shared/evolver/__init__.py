"""The Evolver: every agent output is critiqued against the user's Digital Soul and the
agent's learned improvements, regenerated from the critique while that helps, and the
best-scoring candidate is what reaches the user."""

"""Self-improvement: feedback, metrics, learned improvements and A/B experiments."""

"""The deployed functions as Cloud Functions runs them."""

"""One thin module per deployed Cloud Function."""

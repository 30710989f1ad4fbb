"""Memory: episodic, semantic and procedural stores on pgvector, recall, consolidation,
the Digital Soul, and the context that agents and the Evolver put into prompts."""

"""The agents: a small interface, a registry of the NEXUS agents, and entry-point loading."""

"""The goal engine: goals and their lifecycle, decomposition into sub-goals, analysis
of recent activity, and auto-generation that neither duplicates nor runs away."""

"""Metrics: case acceptance, presentation-to-acceptance ratio, production, follow-up conversion."""

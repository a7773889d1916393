"""Metrics: case acceptance, presentation-to-acceptance, production per patient, follow-up conversion."""

"""Patients of a practice: identity, contact preferences and consents."""

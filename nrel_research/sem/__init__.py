"""Structural equation modelling (generic: knows nothing of N-REL)."""

"""Treatment plans and the practice's procedure catalog."""

"""Insurance: carriers, benefit plans, eligibility (X12 270/271) and per-procedure estimates."""

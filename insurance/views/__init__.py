"""Insurance pages under /p/<practice>/insurance/, one module per area."""

"""URL modules of the plans app, one per area, included under /p/<practice>/."""

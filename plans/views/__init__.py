"""Views of the plans app, one module per area: catalog, builder (the plan page), overview."""

"""The officers' UI: one module per area. Views only pass data: selectors read, services write."""

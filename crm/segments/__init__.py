"""Marketing segments: stored definitions compiled to one SQL query over buyers."""

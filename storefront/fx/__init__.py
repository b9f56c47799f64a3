"""Exchange rates (CBR) and the pricing policy. Knows nothing of products."""

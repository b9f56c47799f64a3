"""Shipping area: carriers, zone rates and delivery estimates (no pages of its own yet)."""

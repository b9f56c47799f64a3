"""Promo codes: the storefront owns the table and validates codes; the CRM's campaigns create them."""

"""Mostik storefront: the buyers' side. Never imports ``crm``."""

from storefront.app import create_app

__all__ = ["create_app"]

"""Every model module, imported once so the metadata (and Alembic) sees all tables."""

from storefront.catalog.models import Category, PriceBreak, Product, Supplier
from storefront.fx.models import ExchangeRate, PricingPolicy
from storefront.jobs import JobRun
from storefront.search.models import ProductSearch

__all__ = ["Category", "ExchangeRate", "JobRun", "PriceBreak", "PricingPolicy", "Product", "ProductSearch", "Supplier"]

"""The CRM landing page: headline figures and charts (revenue by month by tier, buyers per tier, top buyers)."""

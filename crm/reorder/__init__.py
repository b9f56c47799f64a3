"""Repeat orders: per-buyer reorder rhythm (statistics and status), the due / at-risk lists, the overdue-task
job and the retention analytics pages.

- ``models.py``: ``BuyerStats`` (``crm_buyer_stats``, one row per buyer) and ``ReorderBaseline``.
- ``services.py``: ``recalc_reorders`` (everyone, set-based) and ``update_buyer_stats`` (one buyer, the same SQL),
  the status refresh and overdue-task jobs.
- ``queries.py``: what other code reads: ``status_condition``, ``buyer_reorder_summary``, ``due_buyers``,
  ``at_risk_buyers``, ``top_products``.
- ``analytics.py``: retention figures (repeat rate, orders per buyer per year, time to second order, cohorts).
"""

from flask import Blueprint

bp = Blueprint("reorder", __name__)

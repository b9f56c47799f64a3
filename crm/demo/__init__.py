"""Demo CRM data for ``make run``: buyers, paid orders, account managers, notes and tasks (``seed.py``)."""

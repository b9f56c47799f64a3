"""The ``flask crm`` command group; each area adds its commands from its own ``cli.py``.

``crm.init_app`` registers the group with the app after importing those modules.
"""

from __future__ import annotations

from flask.cli import AppGroup

crm_group = AppGroup("crm", help="The buyer CRM: tiers and reorder statistics.")

"""Plain helpers tests import (no fixtures here: those live in ``tests/fixtures`` and are registered once, by
``tests/conftest.py``).

* ``factories``: the one set of builders of test data; each adds and flushes, none commits;
* ``segment_world``: a random world of buyers and the Python reference filter the segment SQL must agree with;
* ``web``: driving the shop and the CRM through the test client (CSRF tokens, sign-in, checkout);
* ``database``: which engine the run uses, fresh PostgreSQL schemas, the app's test config, emptying tables.
"""

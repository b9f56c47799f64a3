"""Query-string forms of the reorder pages (GET, no CSRF)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.validators import AnyOf, NumberRange, Optional

from crm.reorder.queries import TABS

#: The tables of the retention page that can be exported.
EXPORTS = ("repeat", "years", "second", "cohorts")


class ReorderListForm(FlaskForm):
    class Meta:
        csrf = False

    manager = IntegerField(_l("Manager"), validators=[Optional(), NumberRange(min=1)])
    tab = StringField(
        _l("List"), validators=[Optional(), AnyOf(TABS, message=_l("Choose one of the lists: due, at risk or lapsed."))]
    )
    page = IntegerField(
        _l("Page"), validators=[Optional(), NumberRange(min=1, max=100000, message=_l("A page number from 1."))]
    )


class RetentionExportForm(FlaskForm):
    class Meta:
        csrf = False

    table = StringField(_l("Table"), validators=[Optional(), AnyOf(EXPORTS)])

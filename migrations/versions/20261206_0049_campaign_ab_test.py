"""A/B test of campaign subjects: ``crm_campaigns.subject_b``, ``ab_percent``, ``ab_metric``, ``ab_wait_hours``,
``ab_winner``, ``ab_decided_at``; ``crm_campaign_recipients.variant`` and the ``held`` recipient status

Revision ID: 0049
Revises: 0048
Create Date: 2026-12-06 17:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0049"
down_revision = "0048"
branch_labels = None
depends_on = None

OLD_STATUSES = "'pending', 'sending', 'sent', 'failed', 'control', 'skipped', 'capped'"


def _recipient_status_check(statuses: str) -> None:
    # SQLite: batch mode copies the table; the constraint is dropped by its full conventional name.
    with op.batch_alter_table("crm_campaign_recipients", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_crm_campaign_recipients_status_known"), type_="check")
        batch_op.create_check_constraint(op.f("ck_crm_campaign_recipients_status_known"), f"status IN ({statuses})")


def upgrade():
    with op.batch_alter_table("crm_campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject_b", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("ab_percent", sa.SmallInteger(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("ab_metric", sa.String(length=16), server_default="opens", nullable=False))
        batch_op.add_column(sa.Column("ab_wait_hours", sa.SmallInteger(), server_default="4", nullable=False))
        batch_op.add_column(sa.Column("ab_winner", sa.String(length=1), nullable=True))
        batch_op.add_column(sa.Column("ab_decided_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_crm_campaigns_ab_percent_range"), "ab_percent = 0 OR ab_percent BETWEEN 10 AND 50"
        )
        batch_op.create_check_constraint(
            op.f("ck_crm_campaigns_ab_metric_known"), "ab_metric IN ('opens', 'clicks', 'revenue')"
        )
        batch_op.create_check_constraint(op.f("ck_crm_campaigns_ab_winner_known"), "ab_winner IN ('A', 'B')")
    with op.batch_alter_table("crm_campaign_recipients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("variant", sa.String(length=1), server_default="", nullable=False))
    _recipient_status_check(OLD_STATUSES + ", 'held'")


def downgrade():
    # Rows still waiting for a winner go back to waiting like any other (they get subject A).
    op.execute("UPDATE crm_campaign_recipients SET status = 'pending' WHERE status = 'held'")
    _recipient_status_check(OLD_STATUSES)
    with op.batch_alter_table("crm_campaign_recipients", schema=None) as batch_op:
        batch_op.drop_column("variant")
    with op.batch_alter_table("crm_campaigns", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_crm_campaigns_ab_winner_known"), type_="check")
        batch_op.drop_constraint(op.f("ck_crm_campaigns_ab_metric_known"), type_="check")
        batch_op.drop_constraint(op.f("ck_crm_campaigns_ab_percent_range"), type_="check")
        batch_op.drop_column("ab_decided_at")
        batch_op.drop_column("ab_winner")
        batch_op.drop_column("ab_wait_hours")
        batch_op.drop_column("ab_metric")
        batch_op.drop_column("ab_percent")
        batch_op.drop_column("subject_b")

"""``telegram_links`` (a buyer's chat with the bot, one-time start tokens) and the ``telegram`` consent kind

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-06 14:00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0039"
down_revision = "0038"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "telegram_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("buyer_id", sa.Integer(), nullable=False),
        sa.Column("start_token_hash", sa.String(length=64), nullable=True),
        sa.Column("start_token_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.Column("username", sa.String(length=64), nullable=True),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unlinked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unlink_reason", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["buyer_id"], ["buyers.id"], name=op.f("fk_telegram_links_buyer_id_buyers"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_telegram_links")),
        sa.UniqueConstraint("buyer_id", name=op.f("uq_telegram_links_buyer_id")),
        sa.UniqueConstraint("chat_id", name=op.f("uq_telegram_links_chat_id")),
        sa.UniqueConstraint("start_token_hash", name=op.f("uq_telegram_links_start_token_hash")),
    )
    with op.batch_alter_table("consents") as batch_op:
        batch_op.drop_constraint(op.f("ck_consents_kind_known"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_consents_kind_known"), "kind IN ('personal_data', 'marketing', 'telegram')"
        )


def downgrade():
    op.execute("DELETE FROM consents WHERE kind = 'telegram'")
    with op.batch_alter_table("consents") as batch_op:
        batch_op.drop_constraint(op.f("ck_consents_kind_known"), type_="check")
        batch_op.create_check_constraint(op.f("ck_consents_kind_known"), "kind IN ('personal_data', 'marketing')")
    op.drop_table("telegram_links")

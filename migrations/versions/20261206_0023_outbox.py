"""job runs hold a lease (a runner that dies mid-run leaves the job to the next one after it)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 09:45:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("run_token", sa.String(length=32), nullable=True))


def downgrade():
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.drop_column("run_token")
        batch_op.drop_column("lease_until")

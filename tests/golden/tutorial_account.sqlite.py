"""create the tutorial_account models

Revision ID: 0123456789ab
Revises:
Create Date: 2026-01-01 00:00:00 UTC

"""

from schemadiff import op
import sqlalchemy as sa

# revision identifiers, used by schemadiff.
revision = "0123456789ab"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("id", sa.Integer()),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("description", sa.String(length=200)),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    # hazard(data-loss/drop-table): drops table account and all its rows
    op.drop_table("account")

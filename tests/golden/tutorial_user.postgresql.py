"""create the tutorial_user models

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
        "user",
        sa.Column("id", sa.Integer()),
        sa.Column("username", sa.String(), nullable=False),
        sa.Column("email", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.CheckConstraint("length(username) <= 10", name="ck_user_username_len"),
    )


def downgrade() -> None:
    # hazard(data-loss/drop-table): drops table user and all its rows
    op.drop_table("user")

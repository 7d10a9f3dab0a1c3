"""create the tutorial_students models

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
        "students",
        sa.Column("id", sa.Integer()),
        sa.Column("name", sa.String()),
        sa.Column("email", sa.String(length=55)),
        sa.Column("grade", sa.Integer()),
        sa.Column("birthday", sa.DateTime()),
        sa.Column("enrolled_date", sa.DateTime()),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email", name="unique_email"),
        sa.CheckConstraint("grade BETWEEN 1 AND 12", name="grade_between_1_and_12"),
        sa.Index(op.f("ix_students_name"), "name"),
    )


def downgrade() -> None:
    # hazard(data-loss/drop-table): drops table students and all its rows
    op.drop_table("students")

"""create the rich models

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
        "region",
        sa.Column("country", sa.String(length=2)),
        sa.Column("code", sa.String(length=8)),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("country", "code"),
    )
    op.create_table(
        "customer",
        sa.Column("id", sa.Integer()),
        sa.Column("email", sa.String(length=120), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False, comment="display name"),
        sa.Column(
            "active", sa.Boolean(), nullable=False, server_default=sa.text("true")
        ),
        sa.Column(
            "tier",
            sa.String(length=10),
            nullable=False,
            server_default=sa.text("'basic'"),
        ),
        sa.Column(
            "credit",
            sa.Numeric(precision=12, scale=2),
            nullable=False,
            server_default=sa.text("0"),
        ),
        sa.Column(
            "created_at", sa.DateTime(), nullable=False, server_default=sa.text("now()")
        ),
        sa.Column("referrer_id", sa.Integer()),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email", name=op.f("uq_customer_email")),
        sa.CheckConstraint("credit >= 0", name="credit_positive"),
        sa.ForeignKeyConstraint(
            ["referrer_id"],
            ["customer.id"],
            name=op.f("fk_customer_referrer_id_customer"),
            ondelete="SET NULL",
        ),
        sa.Index(op.f("ix_customer_name"), "name"),
        comment="people who buy things",
    )
    op.create_table(
        "address",
        sa.Column("id", sa.BigInteger()),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("region_code", sa.String(length=8), nullable=False),
        sa.Column("line1", sa.String(length=200), nullable=False),
        sa.Column("postcode", sa.String(length=12)),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "customer_id", "line1", "postcode", name=op.f("uq_address_customer_id")
        ),
        sa.ForeignKeyConstraint(
            ["country", "region_code"],
            ["region.country", "region.code"],
            name=op.f("fk_address_country_region"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_address_customer_id_customer"),
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
        sa.Index("ix_address_place", "country", "region_code", "postcode"),
    )
    op.create_table(
        "audit_log",
        sa.Column(
            "happened_at",
            sa.DateTime(),
            nullable=False,
            server_default=sa.text("now()"),
        ),
        sa.Column("customer_id", sa.Integer()),
        sa.Column("message", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customer.id"],
            name=op.f("fk_audit_log_customer_id_customer"),
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "order",
        sa.Column("id", sa.Integer()),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.String(length=16),
            nullable=False,
            server_default=sa.text("'new'"),
        ),
        sa.Column("placed_at", sa.DateTime()),
        sa.Column("note", sa.String(length=200), comment="free text from the buyer"),
        sa.PrimaryKeyConstraint("id"),
        sa.CheckConstraint("status IN ('new', 'paid', 'shipped')", name="status_known"),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_order_customer_id_customer")
        ),
        sa.Index(op.f("ix_order_customer_id"), "customer_id"),
    )
    op.create_table(
        "product",
        sa.Column("id", sa.Integer()),
        sa.Column("sku", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text()),
        sa.Column("price", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("weight", sa.Float()),
        sa.Column(
            "stock", sa.SmallInteger(), nullable=False, server_default=sa.text("0")
        ),
        sa.Column("released", sa.Date()),
        sa.Column("cutoff", sa.Time()),
        sa.Column("image", sa.LargeBinary()),
        sa.Column(
            "price_with_tax",
            sa.Numeric(precision=12, scale=2),
            sa.Computed("price * 1.2", persisted=True),
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sku", name="uq_product_sku"),
        sa.CheckConstraint("stock >= 0"),
        sa.CheckConstraint("price > 0", name="price_positive"),
        sa.Index("ix_product_released_desc", sa.desc("released")),
    )
    op.create_table(
        "order_line",
        sa.Column("order_id", sa.Integer()),
        sa.Column("line_no", sa.Integer()),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column(
            "quantity", sa.Integer(), nullable=False, server_default=sa.text("1")
        ),
        sa.PrimaryKeyConstraint("order_id", "line_no"),
        sa.UniqueConstraint(
            "product_id", "quantity", name="ix_order_line_product_quantity"
        ),
        sa.CheckConstraint("quantity BETWEEN 1 AND 1000", name="quantity_range"),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["order.id"],
            name=op.f("fk_order_line_order_id_order"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["product.id"],
            name=op.f("fk_order_line_product_id_product"),
        ),
    )


def downgrade() -> None:
    # hazard(data-loss/drop-table): drops table order_line and all its rows
    op.drop_table("order_line")
    # hazard(data-loss/drop-table): drops table product and all its rows
    op.drop_table("product")
    # hazard(data-loss/drop-table): drops table order and all its rows
    op.drop_table("order")
    # hazard(data-loss/drop-table): drops table audit_log and all its rows
    op.drop_table("audit_log")
    # hazard(data-loss/drop-table): drops table address and all its rows
    op.drop_table("address")
    # hazard(data-loss/drop-table): drops table customer and all its rows
    op.drop_table("customer")
    # hazard(data-loss/drop-table): drops table region and all its rows
    op.drop_table("region")

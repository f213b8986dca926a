"""Products, price books, opportunity line items, quotes, orders and invoices (issue 10)

Also: accounts get a shipping address (quotes copy both addresses), opportunities a price book.
SQLite rebuilds `opportunities` for its new foreign key (batch mode; env.py turns foreign keys off
meanwhile), so its search triggers are put back; `accounts` only gains columns (ALTER TABLE ADD
COLUMN, no rebuild). The document counters start at zero and a standard price book exists, in
euros until an admin says otherwise.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-24 21:27:17.106694

"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from crm.search_index import recreate_triggers

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('document_counters',
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('last_number', sa.Integer(), server_default='0', nullable=False),
    sa.PrimaryKeyConstraint('kind', name=op.f('pk_document_counters'))
    )
    op.create_table('price_books',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('description', sa.String(length=255), nullable=True),
    sa.Column('is_standard', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_price_books')),
    sa.UniqueConstraint('name', name=op.f('uq_price_books_name'))
    )
    with op.batch_alter_table('price_books', schema=None) as batch_op:
        batch_op.create_index('uq_price_books_one_standard', ['is_standard'], unique=True, sqlite_where=sa.text('is_standard'), postgresql_where=sa.text('is_standard'))

    op.create_table('products',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('family', sa.String(length=80), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('tax_rate', sa.Numeric(precision=5, scale=2), server_default='0', nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('tax_rate BETWEEN 0 AND 100', name=op.f('ck_products_tax_rate')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_products')),
    sa.UniqueConstraint('code', name=op.f('uq_products_code'))
    )
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.create_index('ix_products_active_name', ['active', 'name', 'id'], unique=False)

    op.create_table('price_book_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('price_book_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('unit_price', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.CheckConstraint('unit_price >= 0', name=op.f('ck_price_book_entries_unit_price')),
    sa.ForeignKeyConstraint(['price_book_id'], ['price_books.id'], name=op.f('fk_price_book_entries_price_book_id_price_books'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_price_book_entries_product_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_price_book_entries')),
    sa.UniqueConstraint('price_book_id', 'product_id', name='uq_price_book_entries_pair')
    )
    with op.batch_alter_table('price_book_entries', schema=None) as batch_op:
        batch_op.create_index('ix_price_book_entries_product', ['product_id'], unique=False)

    op.create_table('opportunity_line_items',
    sa.Column('opportunity_id', sa.Integer(), nullable=False),
    sa.Column('list_price', sa.Numeric(precision=18, scale=2), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('product_code', sa.String(length=40), nullable=True),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.String(length=1000), nullable=True),
    sa.Column('quantity', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('unit_price', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('discount_percent', sa.Numeric(precision=5, scale=2), server_default='0', nullable=False),
    sa.Column('net_amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('discount_percent BETWEEN 0 AND 100', name=op.f('ck_opportunity_line_items_discount_percent')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_opportunity_line_items_quantity')),
    sa.CheckConstraint('unit_price >= 0', name=op.f('ck_opportunity_line_items_unit_price')),
    sa.ForeignKeyConstraint(['opportunity_id'], ['opportunities.id'], name=op.f('fk_opportunity_line_items_opportunity_id_opportunities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_opportunity_line_items_product_id_products'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opportunity_line_items'))
    )
    with op.batch_alter_table('opportunity_line_items', schema=None) as batch_op:
        batch_op.create_index('ix_opportunity_line_items_opportunity', ['opportunity_id', 'position', 'id'], unique=False)

    op.create_table('quotes',
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('revision', sa.Integer(), server_default='0', nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('status', sa.String(length=20), server_default='Draft', nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('price_book_id', sa.Integer(), nullable=True),
    sa.Column('presented_at', sa.DateTime(), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('net_total', sa.Numeric(precision=18, scale=2), server_default='0', nullable=False),
    sa.Column('tax_total', sa.Numeric(precision=18, scale=2), server_default='0', nullable=False),
    sa.Column('total', sa.Numeric(precision=18, scale=2), server_default='0', nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('opportunity_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('billing_street', sa.String(length=255), nullable=True),
    sa.Column('billing_city', sa.String(length=40), nullable=True),
    sa.Column('billing_state', sa.String(length=80), nullable=True),
    sa.Column('billing_postal_code', sa.String(length=20), nullable=True),
    sa.Column('billing_country', sa.String(length=80), nullable=True),
    sa.Column('shipping_street', sa.String(length=255), nullable=True),
    sa.Column('shipping_city', sa.String(length=40), nullable=True),
    sa.Column('shipping_state', sa.String(length=80), nullable=True),
    sa.Column('shipping_postal_code', sa.String(length=20), nullable=True),
    sa.Column('shipping_country', sa.String(length=80), nullable=True),
    sa.CheckConstraint("status IN ('Draft', 'Presented', 'Accepted', 'Denied', 'Superseded')", name=op.f('ck_quotes_status')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_quotes_account_id_accounts')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_quotes_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['opportunity_id'], ['opportunities.id'], name=op.f('fk_quotes_opportunity_id_opportunities')),
    sa.ForeignKeyConstraint(['price_book_id'], ['price_books.id'], name=op.f('fk_quotes_price_book_id_price_books'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quotes')),
    sa.UniqueConstraint('number', 'revision', name='uq_quotes_number_revision')
    )
    with op.batch_alter_table('quotes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quotes_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quotes_opportunity_id'), ['opportunity_id'], unique=False)

    op.create_table('orders',
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('status', sa.String(length=20), server_default='Open', nullable=False),
    sa.Column('quote_id', sa.Integer(), nullable=True),
    sa.Column('fulfilled_at', sa.DateTime(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('net_total', sa.Numeric(precision=18, scale=2), server_default='0', nullable=False),
    sa.Column('tax_total', sa.Numeric(precision=18, scale=2), server_default='0', nullable=False),
    sa.Column('total', sa.Numeric(precision=18, scale=2), server_default='0', nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('opportunity_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('billing_street', sa.String(length=255), nullable=True),
    sa.Column('billing_city', sa.String(length=40), nullable=True),
    sa.Column('billing_state', sa.String(length=80), nullable=True),
    sa.Column('billing_postal_code', sa.String(length=20), nullable=True),
    sa.Column('billing_country', sa.String(length=80), nullable=True),
    sa.Column('shipping_street', sa.String(length=255), nullable=True),
    sa.Column('shipping_city', sa.String(length=40), nullable=True),
    sa.Column('shipping_state', sa.String(length=80), nullable=True),
    sa.Column('shipping_postal_code', sa.String(length=20), nullable=True),
    sa.Column('shipping_country', sa.String(length=80), nullable=True),
    sa.CheckConstraint("status IN ('Open', 'Fulfilled', 'Cancelled')", name=op.f('ck_orders_status')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_orders_account_id_accounts')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_orders_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['opportunity_id'], ['opportunities.id'], name=op.f('fk_orders_opportunity_id_opportunities')),
    sa.ForeignKeyConstraint(['quote_id'], ['quotes.id'], name=op.f('fk_orders_quote_id_quotes'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders')),
    sa.UniqueConstraint('number', name=op.f('uq_orders_number')),
    sa.UniqueConstraint('quote_id', name=op.f('uq_orders_quote_id'))
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_orders_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_opportunity_id'), ['opportunity_id'], unique=False)

    op.create_table('quote_lines',
    sa.Column('quote_id', sa.Integer(), nullable=False),
    sa.Column('tax_rate', sa.Numeric(precision=5, scale=2), server_default='0', nullable=False),
    sa.Column('tax_amount', sa.Numeric(precision=18, scale=2), server_default='0', nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('product_code', sa.String(length=40), nullable=True),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.String(length=1000), nullable=True),
    sa.Column('quantity', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('unit_price', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('discount_percent', sa.Numeric(precision=5, scale=2), server_default='0', nullable=False),
    sa.Column('net_amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('discount_percent BETWEEN 0 AND 100', name=op.f('ck_quote_lines_discount_percent')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_quote_lines_quantity')),
    sa.CheckConstraint('tax_rate BETWEEN 0 AND 100', name=op.f('ck_quote_lines_tax_rate')),
    sa.CheckConstraint('unit_price >= 0', name=op.f('ck_quote_lines_unit_price')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_quote_lines_product_id_products'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['quote_id'], ['quotes.id'], name=op.f('fk_quote_lines_quote_id_quotes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quote_lines'))
    )
    with op.batch_alter_table('quote_lines', schema=None) as batch_op:
        batch_op.create_index('ix_quote_lines_quote', ['quote_id', 'position', 'id'], unique=False)

    op.create_table('invoices',
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('status', sa.String(length=20), server_default='Draft', nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('issue_date', sa.Date(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('paid_at', sa.DateTime(), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('net_total', sa.Numeric(precision=18, scale=2), server_default='0', nullable=False),
    sa.Column('tax_total', sa.Numeric(precision=18, scale=2), server_default='0', nullable=False),
    sa.Column('total', sa.Numeric(precision=18, scale=2), server_default='0', nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('opportunity_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('billing_street', sa.String(length=255), nullable=True),
    sa.Column('billing_city', sa.String(length=40), nullable=True),
    sa.Column('billing_state', sa.String(length=80), nullable=True),
    sa.Column('billing_postal_code', sa.String(length=20), nullable=True),
    sa.Column('billing_country', sa.String(length=80), nullable=True),
    sa.Column('shipping_street', sa.String(length=255), nullable=True),
    sa.Column('shipping_city', sa.String(length=40), nullable=True),
    sa.Column('shipping_state', sa.String(length=80), nullable=True),
    sa.Column('shipping_postal_code', sa.String(length=20), nullable=True),
    sa.Column('shipping_country', sa.String(length=80), nullable=True),
    sa.CheckConstraint("status IN ('Draft', 'Sent', 'Paid')", name=op.f('ck_invoices_status')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_invoices_account_id_accounts')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_invoices_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['opportunity_id'], ['opportunities.id'], name=op.f('fk_invoices_opportunity_id_opportunities')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_invoices_order_id_orders'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoices')),
    sa.UniqueConstraint('number', name=op.f('uq_invoices_number')),
    sa.UniqueConstraint('order_id', name=op.f('uq_invoices_order_id'))
    )
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoices_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoices_opportunity_id'), ['opportunity_id'], unique=False)
        batch_op.create_index('ix_invoices_status_due', ['status', 'due_date'], unique=False)

    op.create_table('order_lines',
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('tax_rate', sa.Numeric(precision=5, scale=2), server_default='0', nullable=False),
    sa.Column('tax_amount', sa.Numeric(precision=18, scale=2), server_default='0', nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('product_code', sa.String(length=40), nullable=True),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.String(length=1000), nullable=True),
    sa.Column('quantity', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('unit_price', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('discount_percent', sa.Numeric(precision=5, scale=2), server_default='0', nullable=False),
    sa.Column('net_amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('discount_percent BETWEEN 0 AND 100', name=op.f('ck_order_lines_discount_percent')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_order_lines_quantity')),
    sa.CheckConstraint('tax_rate BETWEEN 0 AND 100', name=op.f('ck_order_lines_tax_rate')),
    sa.CheckConstraint('unit_price >= 0', name=op.f('ck_order_lines_unit_price')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_lines_order_id_orders'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_order_lines_product_id_products'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_lines'))
    )
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.create_index('ix_order_lines_order', ['order_id', 'position', 'id'], unique=False)

    op.create_table('invoice_lines',
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('tax_rate', sa.Numeric(precision=5, scale=2), server_default='0', nullable=False),
    sa.Column('tax_amount', sa.Numeric(precision=18, scale=2), server_default='0', nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('product_code', sa.String(length=40), nullable=True),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.String(length=1000), nullable=True),
    sa.Column('quantity', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('unit_price', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('discount_percent', sa.Numeric(precision=5, scale=2), server_default='0', nullable=False),
    sa.Column('net_amount', sa.Numeric(precision=18, scale=2), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('discount_percent BETWEEN 0 AND 100', name=op.f('ck_invoice_lines_discount_percent')),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_invoice_lines_quantity')),
    sa.CheckConstraint('tax_rate BETWEEN 0 AND 100', name=op.f('ck_invoice_lines_tax_rate')),
    sa.CheckConstraint('unit_price >= 0', name=op.f('ck_invoice_lines_unit_price')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_invoice_lines_invoice_id_invoices'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_invoice_lines_product_id_products'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_lines'))
    )
    with op.batch_alter_table('invoice_lines', schema=None) as batch_op:
        batch_op.create_index('ix_invoice_lines_invoice', ['invoice_id', 'position', 'id'], unique=False)

    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shipping_street', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('shipping_city', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('shipping_state', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('shipping_postal_code', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('shipping_country', sa.String(length=80), nullable=True))

    with op.batch_alter_table('opportunities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('price_book_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_opportunities_price_book_id_price_books'), 'price_books',
                                    ['price_book_id'], ['id'], ondelete='SET NULL')
    recreate_triggers(op, "opportunities")
    recreate_triggers(op, "accounts")

    counters = sa.table('document_counters', sa.column('kind', sa.String), sa.column('last_number', sa.Integer))
    op.bulk_insert(counters, [{'kind': kind, 'last_number': 0} for kind in ('quote', 'order', 'invoice')])
    books = sa.table('price_books', sa.column('name', sa.String), sa.column('currency', sa.String),
                     sa.column('is_standard', sa.Boolean), sa.column('active', sa.Boolean),
                     sa.column('created_at', sa.DateTime), sa.column('updated_at', sa.DateTime))
    now = datetime.now(UTC).replace(tzinfo=None)
    op.bulk_insert(books, [{'name': 'Standard', 'currency': 'EUR', 'is_standard': True, 'active': True,
                            'created_at': now, 'updated_at': now}])



def downgrade():
    with op.batch_alter_table('opportunities', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_opportunities_price_book_id_price_books'), type_='foreignkey')
        batch_op.drop_column('price_book_id')
    recreate_triggers(op, "opportunities")

    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('shipping_country')
        batch_op.drop_column('shipping_postal_code')
        batch_op.drop_column('shipping_state')
        batch_op.drop_column('shipping_city')
        batch_op.drop_column('shipping_street')

    with op.batch_alter_table('invoice_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_invoice_lines_invoice')

    op.drop_table('invoice_lines')
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_order_lines_order')

    op.drop_table('order_lines')
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_index('ix_invoices_status_due')
        batch_op.drop_index(batch_op.f('ix_invoices_opportunity_id'))
        batch_op.drop_index(batch_op.f('ix_invoices_account_id'))

    op.drop_table('invoices')
    with op.batch_alter_table('quote_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_quote_lines_quote')

    op.drop_table('quote_lines')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_opportunity_id'))
        batch_op.drop_index(batch_op.f('ix_orders_account_id'))

    op.drop_table('orders')
    with op.batch_alter_table('quotes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quotes_opportunity_id'))
        batch_op.drop_index(batch_op.f('ix_quotes_account_id'))

    op.drop_table('quotes')
    with op.batch_alter_table('opportunity_line_items', schema=None) as batch_op:
        batch_op.drop_index('ix_opportunity_line_items_opportunity')

    op.drop_table('opportunity_line_items')
    with op.batch_alter_table('price_book_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_price_book_entries_product')

    op.drop_table('price_book_entries')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_index('ix_products_active_name')

    op.drop_table('products')
    with op.batch_alter_table('price_books', schema=None) as batch_op:
        batch_op.drop_index('uq_price_books_one_standard', sqlite_where=sa.text('is_standard'), postgresql_where=sa.text('is_standard'))

    op.drop_table('price_books')
    op.drop_table('document_counters')

"""initial schema: customers, accounts, transactions, funds, risk assessments,
append-only recommendation audit records.

Revision ID: 0001
Revises: 
Create Date: 2026-11-29 08:44:39.059608
"""
from alembic import op
import sqlalchemy as sa

from recommender.store.audit_triggers import create_append_only_triggers, drop_append_only_triggers


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('customers',
    sa.Column('customer_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('birth_year', sa.Integer(), nullable=True),
    sa.Column('segment', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("language IN ('zh', 'en')", name=op.f('ck_customers_language')),
    sa.PrimaryKeyConstraint('customer_id', name=op.f('pk_customers'))
    )
    op.create_table('fund_catalogue_versions',
    sa.Column('version', sa.String(length=32), nullable=False),
    sa.Column('source_name', sa.String(length=500), nullable=False),
    sa.Column('fund_count', sa.Integer(), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('version', name=op.f('pk_fund_catalogue_versions'))
    )
    op.create_table('import_batches',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('source_name', sa.String(length=500), nullable=False),
    sa.Column('source_sha256', sa.String(length=64), nullable=False),
    sa.Column('rows_total', sa.BigInteger(), nullable=False),
    sa.Column('rows_inserted', sa.BigInteger(), nullable=False),
    sa.Column('rows_unchanged', sa.BigInteger(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_batches'))
    )
    op.create_table('accounts',
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=False),
    sa.Column('account_type', sa.String(length=32), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('balance_cents', sa.BigInteger(), nullable=False),
    sa.Column('balance_as_of', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.customer_id'], name=op.f('fk_accounts_customer_id_customers')),
    sa.PrimaryKeyConstraint('account_id', name=op.f('pk_accounts'))
    )
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_accounts_customer_id'), ['customer_id'], unique=False)

    op.create_table('funds',
    sa.Column('fund_code', sa.String(length=6), nullable=False),
    sa.Column('name_zh', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('manager_zh', sa.String(length=200), nullable=False),
    sa.Column('manager_en', sa.String(length=200), nullable=False),
    sa.Column('fund_type', sa.String(length=32), nullable=False),
    sa.Column('risk_rating', sa.String(length=2), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('subscription_fee_pct', sa.Numeric(precision=9, scale=4).with_variant(sa.String(length=32), 'sqlite'), nullable=False),
    sa.Column('management_fee_pct', sa.Numeric(precision=9, scale=4).with_variant(sa.String(length=32), 'sqlite'), nullable=False),
    sa.Column('custody_fee_pct', sa.Numeric(precision=9, scale=4).with_variant(sa.String(length=32), 'sqlite'), nullable=False),
    sa.Column('redemption_days', sa.Integer(), nullable=False),
    sa.Column('min_holding_days', sa.Integer(), nullable=False),
    sa.Column('min_purchase_cents', sa.BigInteger(), nullable=False),
    sa.Column('return_1y_pct', sa.Numeric(precision=9, scale=4).with_variant(sa.String(length=32), 'sqlite'), nullable=False),
    sa.Column('return_3y_annualised_pct', sa.Numeric(precision=9, scale=4).with_variant(sa.String(length=32), 'sqlite'), nullable=False),
    sa.Column('volatility_pct', sa.Numeric(precision=9, scale=4).with_variant(sa.String(length=32), 'sqlite'), nullable=False),
    sa.Column('max_drawdown_pct', sa.Numeric(precision=9, scale=4).with_variant(sa.String(length=32), 'sqlite'), nullable=False),
    sa.Column('inception_date', sa.Date(), nullable=False),
    sa.Column('synthetic', sa.Boolean(), nullable=False),
    sa.Column('catalogue_version', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['catalogue_version'], ['fund_catalogue_versions.version'], name=op.f('fk_funds_catalogue_version_fund_catalogue_versions')),
    sa.PrimaryKeyConstraint('fund_code', name=op.f('pk_funds'))
    )
    op.create_table('risk_assessments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=False),
    sa.Column('questionnaire_version', sa.String(length=32), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('total_points', sa.Integer(), nullable=True),
    sa.Column('risk_level', sa.String(length=2), nullable=False),
    sa.Column('assessed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.CheckConstraint("risk_level IN ('C1','C2','C3','C4','C5')", name=op.f('ck_risk_assessments_risk_level')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.customer_id'], name=op.f('fk_risk_assessments_customer_id_customers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_risk_assessments'))
    )
    with op.batch_alter_table('risk_assessments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_risk_assessments_customer_id'), ['customer_id'], unique=False)

    op.create_table('recommendations',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('request', sa.JSON(), nullable=False),
    sa.Column('features', sa.JSON(), nullable=False),
    sa.Column('assessment_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('questionnaire_level', sa.String(length=2), nullable=True),
    sa.Column('effective_level', sa.String(length=2), nullable=True),
    sa.Column('catalogue_version', sa.String(length=32), nullable=False),
    sa.Column('policy_fingerprint', sa.String(length=32), nullable=False),
    sa.Column('decisions', sa.JSON(), nullable=False),
    sa.Column('output', sa.JSON(), nullable=False),
    sa.Column('code_version', sa.String(length=64), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('record_hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['risk_assessments.id'], name=op.f('fk_recommendations_assessment_id_risk_assessments')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.customer_id'], name=op.f('fk_recommendations_customer_id_customers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recommendations')),
    sa.UniqueConstraint('prev_hash', name=op.f('uq_recommendations_prev_hash')),
    sa.UniqueConstraint('record_hash', name=op.f('uq_recommendations_record_hash'))
    )
    with op.batch_alter_table('recommendations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recommendations_customer_id'), ['customer_id'], unique=False)

    op.create_table('transactions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('transaction_id', sa.String(length=64), nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('booked_at', sa.Date(), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('counterparty', sa.String(length=200), nullable=True),
    sa.Column('counterparty_account', sa.String(length=64), nullable=True),
    sa.Column('mcc', sa.String(length=4), nullable=True),
    sa.Column('import_batch_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.account_id'], name=op.f('fk_transactions_account_id_accounts')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.customer_id'], name=op.f('fk_transactions_customer_id_customers')),
    sa.ForeignKeyConstraint(['import_batch_id'], ['import_batches.id'], name=op.f('fk_transactions_import_batch_id_import_batches')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transactions')),
    sa.UniqueConstraint('transaction_id', name=op.f('uq_transactions_transaction_id'))
    )
    with op.batch_alter_table('transactions', schema=None) as batch_op:
        batch_op.create_index('ix_transactions_account_booked', ['account_id', 'booked_at'], unique=False)
        batch_op.create_index('ix_transactions_customer_booked', ['customer_id', 'booked_at'], unique=False)

    # Audit records may never be changed or removed (see audit_triggers.py).
    create_append_only_triggers(op.get_bind(), 'recommendations')


def downgrade() -> None:
    drop_append_only_triggers(op.get_bind(), 'recommendations')
    with op.batch_alter_table('transactions', schema=None) as batch_op:
        batch_op.drop_index('ix_transactions_customer_booked')
        batch_op.drop_index('ix_transactions_account_booked')

    op.drop_table('transactions')
    with op.batch_alter_table('recommendations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recommendations_customer_id'))

    op.drop_table('recommendations')
    with op.batch_alter_table('risk_assessments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_risk_assessments_customer_id'))

    op.drop_table('risk_assessments')
    op.drop_table('funds')
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_accounts_customer_id'))

    op.drop_table('accounts')
    op.drop_table('import_batches')
    op.drop_table('fund_catalogue_versions')
    op.drop_table('customers')

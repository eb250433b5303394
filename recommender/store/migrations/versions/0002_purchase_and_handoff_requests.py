"""purchase and handoff requests: what the bot records when a customer confirms a
purchase or asks for a person.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 09:14:39.967554
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('handoff_requests',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=True),
    sa.Column('conversation_id', sa.String(length=128), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('language', sa.String(length=2), nullable=True),
    sa.Column('transcript', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.customer_id'], name=op.f('fk_handoff_requests_customer_id_customers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_handoff_requests'))
    )
    with op.batch_alter_table('handoff_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handoff_requests_customer_id'), ['customer_id'], unique=False)

    op.create_table('purchase_requests',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=False),
    sa.Column('fund_code', sa.String(length=6), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('fund_risk_rating', sa.String(length=2), nullable=False),
    sa.Column('customer_level', sa.String(length=2), nullable=False),
    sa.Column('assessment_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('conversation_id', sa.String(length=128), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount_cents > 0', name=op.f('ck_purchase_requests_positive_amount')),
    sa.ForeignKeyConstraint(['assessment_id'], ['risk_assessments.id'], name=op.f('fk_purchase_requests_assessment_id_risk_assessments')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.customer_id'], name=op.f('fk_purchase_requests_customer_id_customers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purchase_requests'))
    )
    with op.batch_alter_table('purchase_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_purchase_requests_customer_id'), ['customer_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('purchase_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_purchase_requests_customer_id'))

    op.drop_table('purchase_requests')
    with op.batch_alter_table('handoff_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_handoff_requests_customer_id'))

    op.drop_table('handoff_requests')

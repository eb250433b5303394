"""review queue: chat messages gathered from the tracker store for a person to label.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('review_items',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('source_event_id', sa.BigInteger(), nullable=False),
    sa.Column('conversation_id', sa.String(length=255), nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=True),
    sa.Column('said_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('predicted_intent', sa.String(length=100), nullable=True),
    sa.Column('confidence', sa.Float(), nullable=True),
    sa.Column('predicted_entities', sa.JSON(), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('follow_up', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reviewed_intent', sa.String(length=100), nullable=True),
    sa.Column('reviewed_entities', sa.JSON(), nullable=True),
    sa.Column('reviewer', sa.String(length=200), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('gathered_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'confirmed', 'corrected', 'discarded')",
                       name=op.f('ck_review_items_status')),
    sa.CheckConstraint("language IN ('zh', 'en', 'mixed')", name=op.f('ck_review_items_language')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_items')),
    # Gathering twice adds nothing: one item per tracker event.
    sa.UniqueConstraint('source_event_id', name=op.f('uq_review_items_source_event_id'))
    )
    op.create_index(op.f('ix_review_items_conversation_id'), 'review_items', ['conversation_id'], unique=False)
    op.create_index(op.f('ix_review_items_customer_id'), 'review_items', ['customer_id'], unique=False)
    op.create_index(op.f('ix_review_items_status'), 'review_items', ['status'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_review_items_status'), table_name='review_items')
    op.drop_index(op.f('ix_review_items_customer_id'), table_name='review_items')
    op.drop_index(op.f('ix_review_items_conversation_id'), table_name='review_items')
    op.drop_table('review_items')

"""model registry: every trained bot model version and every promotion decision.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 11:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('model_versions',
    sa.Column('version', sa.String(length=64), nullable=False),
    sa.Column('archive_path', sa.String(length=1000), nullable=False),
    sa.Column('config_name', sa.String(length=200), nullable=False),
    sa.Column('config_text', sa.Text(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('nlu_sha256', sa.String(length=64), nullable=False),
    sa.Column('domain_sha256', sa.String(length=64), nullable=False),
    sa.Column('stories_sha256', sa.String(length=64), nullable=False),
    sa.Column('code_version', sa.String(length=64), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('trained_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('training_seconds', sa.Float(), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('tensorboard_dir', sa.String(length=1000), nullable=True),
    sa.Column('report', sa.JSON(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status_changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('candidate', 'serving', 'retired', 'refused')",
                       name=op.f('ck_model_versions_status')),
    sa.PrimaryKeyConstraint('version', name=op.f('pk_model_versions'))
    )
    # At most one serving version, whatever the code above the database does.
    op.create_index('uq_model_versions_one_serving', 'model_versions', ['status'], unique=True,
                    sqlite_where=sa.text("status = 'serving'"), postgresql_where=sa.text("status = 'serving'"))
    op.create_table('model_decisions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('version', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('previous_version', sa.String(length=64), nullable=True),
    sa.Column('forced', sa.Boolean(), nullable=False),
    sa.Column('decided_by', sa.String(length=200), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.Column('gate', sa.JSON(), nullable=True),
    sa.CheckConstraint("action IN ('promote', 'refuse', 'rollback')", name=op.f('ck_model_decisions_action')),
    sa.ForeignKeyConstraint(['previous_version'], ['model_versions.version'],
                            name=op.f('fk_model_decisions_previous_version_model_versions')),
    sa.ForeignKeyConstraint(['version'], ['model_versions.version'],
                            name=op.f('fk_model_decisions_version_model_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_model_decisions'))
    )
    op.create_index(op.f('ix_model_decisions_version'), 'model_decisions', ['version'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_model_decisions_version'), table_name='model_decisions')
    op.drop_table('model_decisions')
    op.drop_index('uq_model_versions_one_serving', table_name='model_versions')
    op.drop_table('model_versions')

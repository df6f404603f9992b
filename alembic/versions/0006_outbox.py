"""outbox and scheduled runs

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

STATUS = sa.Enum('pending', 'sending', 'sent', 'blocked', 'failed', name='outboxstatus',
                 native_enum=False, length=32)


def upgrade() -> None:
    op.create_table('outboxmessage',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('buttons', sa.Text(), nullable=True),
    sa.Column('photo', sa.LargeBinary(), nullable=True),
    sa.Column('document', sa.LargeBinary(), nullable=True),
    sa.Column('document_name', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('status', STATUS, nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('not_before', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claimed_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    with op.batch_alter_table('outboxmessage', schema=None) as batch_op:
        batch_op.create_index('ix_outboxmessage_status_id', ['status', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outboxmessage_chat_id'), ['chat_id'], unique=False)

    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.create_index('ix_activity_year_member',
                              ['year', 'member_id', 'quarter', 'people', 'points', 'deleted_at'], unique=False)

    op.create_table('scheduledrun',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('detail', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )


def downgrade() -> None:
    op.drop_table('scheduledrun')
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.drop_index('ix_activity_year_member')
    with op.batch_alter_table('outboxmessage', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outboxmessage_chat_id'))
        batch_op.drop_index('ix_outboxmessage_status_id')
    op.drop_table('outboxmessage')

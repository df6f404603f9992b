"""outbox priority: messages a person's action causes (case cards, relays, results) go ahead of bulk sends

Revision ID: 0010
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outboxmessage', schema=None) as batch_op:
        # every message written so far is a bulk one (reminders, reports, broadcasts, deadlines)
        batch_op.add_column(sa.Column('priority', sa.SmallInteger(), nullable=False, server_default='1'))
        batch_op.drop_index('ix_outboxmessage_status_id')
        batch_op.create_index('ix_outboxmessage_status_priority_id', ['status', 'priority', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outboxmessage', schema=None) as batch_op:
        batch_op.drop_index('ix_outboxmessage_status_priority_id')
        batch_op.create_index('ix_outboxmessage_status_id', ['status', 'id'], unique=False)
        batch_op.drop_column('priority')

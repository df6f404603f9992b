"""broadcasts: the broadcast record, and a photo by Telegram file_id in the outbox

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

STATUS = sa.Enum('sending', 'done', name='broadcaststatus', native_enum=False, length=32)


def upgrade() -> None:
    op.create_table('broadcast',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_by', sa.BigInteger(), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('progress_message_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('photo_id', sqlmodel.sql.sqltypes.AutoString(length=256), nullable=True),
    sa.Column('audience', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('scope', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('status', STATUS, nullable=False),
    sa.Column('sent', sa.Integer(), nullable=False),
    sa.Column('blocked', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    with op.batch_alter_table('outboxmessage', schema=None) as batch_op:
        batch_op.add_column(sa.Column('photo_id', sqlmodel.sql.sqltypes.AutoString(length=256), nullable=True))
    if op.get_bind().dialect.name == 'postgresql':
        # outbox.keys_starting compares keys in byte order ("C"), whatever locale the database was created with
        op.execute('CREATE INDEX ix_outboxmessage_key_c ON outboxmessage (key COLLATE "C")')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP INDEX IF EXISTS ix_outboxmessage_key_c')
    with op.batch_alter_table('outboxmessage', schema=None) as batch_op:
        batch_op.drop_column('photo_id')
    op.drop_table('broadcast')

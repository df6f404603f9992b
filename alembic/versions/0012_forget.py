"""forget: a case whose resident had their personal data removed shows a placeholder instead (PIPL deletion)

Revision ID: 0012
Revises: 0011
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('case', schema=None) as batch_op:
        # when the requester's name, phone and Telegram account were removed from the case (NULL: never)
        batch_op.add_column(sa.Column('forgotten_at', sa.DateTime(timezone=True), nullable=True))
        # the nightly phone-retention job looks for closed cases by their closing time
        batch_op.create_index('ix_case_closed_at', ['closed_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_index('ix_case_closed_at')
        batch_op.drop_column('forgotten_at')

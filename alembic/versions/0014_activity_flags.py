"""activity flags: the summary's key for the plausibility rules, their indexes, and coordinators' marks

Revision ID: 0014
Revises: 0013
"""
import hashlib
import unicodedata

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

MARK = sa.Enum('verified', 'questioned', name='flagmark', native_enum=False, length=32)
BATCH = 2000


def summary_key(text):
    """bot.services.plausibility.summary_key as of this revision (a migration does not follow later code)."""
    if not text:
        return None
    kept = "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if unicodedata.category(ch)[0] in "LN")
    return hashlib.sha256(kept.encode()).hexdigest()[:16] if len(kept) >= 4 else None


def upgrade() -> None:
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.add_column(sa.Column('summary_key', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
    # the activities logged so far get their key (generated summaries of cases keep None, as new ones do)
    bind = op.get_bind()
    activity = sa.table('activity', sa.column('id', sa.Integer), sa.column('summary', sa.Text),
                        sa.column('case_id', sa.Integer), sa.column('summary_key', sa.String))
    last = 0
    while True:
        rows = bind.execute(
            sa.select(activity.c.id, activity.c.summary)
            .where(activity.c.id > last, activity.c.case_id.is_(None)).order_by(activity.c.id).limit(BATCH)
        ).all()
        if not rows:
            break
        keys = [{'row_id': row_id, 'key': summary_key(text)} for row_id, text in rows]
        bind.execute(activity.update().where(activity.c.id == sa.bindparam('row_id'))
                     .values(summary_key=sa.bindparam('key')), keys)
        last = rows[-1][0]
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.create_index('ix_activity_quarter_member_day',
                              ['year', 'quarter', 'member_id', 'activity_date', 'summary_key', 'deleted_at'],
                              unique=False)
        batch_op.create_index('ix_activity_quarter_people', ['year', 'quarter', 'people'], unique=False)
    op.create_table('activityflagmark',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('rule', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('mark', MARK, nullable=False),
    sa.Column('marked_by', sa.BigInteger(), nullable=False),
    sa.Column('marked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activity.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('activity_id', 'rule', name='uq_activityflagmark_activity_rule'),
    )


def downgrade() -> None:
    op.drop_table('activityflagmark')
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.drop_index('ix_activity_quarter_people')
        batch_op.drop_index('ix_activity_quarter_member_day')
        batch_op.drop_column('summary_key')

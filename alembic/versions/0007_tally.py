"""tally: per member and year, the live activities, 人次 and duty points per quarter, backfilled;
an index covering the activities by kind of a quarter

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

QUARTERS = (1, 2, 3, 4)


def _per_quarter(expression: str, quarter: int) -> str:
    return f"SUM(CASE WHEN quarter = {quarter} THEN {expression} ELSE 0 END)"


# Frozen with this revision (the schema as it is here); bench/bench_laggards.py runs the same text
# after its bulk load. Deleted activities count nowhere; rows come in (year, member_id) order, the
# table's clustering order on SQLite.
BACKFILL_SQL = (
    "INSERT INTO tally (year, member_id, "
    + ", ".join(f"q{q}_activities, q{q}_people, q{q}_points" for q in QUARTERS)
    + ", activities, people, points, last_activity_date) "
    "SELECT year, member_id, "
    + ", ".join(f"{_per_quarter('1', q)}, {_per_quarter('people', q)}, {_per_quarter('points', q)}" for q in QUARTERS)
    + ", COUNT(*), SUM(people), SUM(points), MAX(activity_date) "
    "FROM activity WHERE deleted_at IS NULL GROUP BY year, member_id ORDER BY year, member_id"
)


def upgrade() -> None:
    count = lambda name: sa.Column(name, sa.Integer(), nullable=False, server_default='0')  # noqa: E731
    points = lambda name: sa.Column(name, sa.Float(), nullable=False, server_default='0')  # noqa: E731
    columns = []
    for q in QUARTERS:
        columns += [count(f'q{q}_activities'), count(f'q{q}_people'), points(f'q{q}_points')]
    op.create_table('tally',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('member_id', sa.Integer(), autoincrement=False, nullable=False),
    *columns,
    count('activities'), count('people'), points('points'),
    sa.Column('last_activity_date', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ),
    sa.PrimaryKeyConstraint('year', 'member_id'),
    sqlite_with_rowid=False,
    )
    op.execute(BACKFILL_SQL)
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.create_index('ix_activity_quarter_kind',
                              ['year', 'quarter', 'kind', 'member_id', 'people', 'deleted_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.drop_index('ix_activity_quarter_kind')
    op.drop_table('tally')

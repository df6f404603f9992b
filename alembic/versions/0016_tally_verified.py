"""tally_verified: the tally also keeps the verified 人次 (checked in at the door) per quarter and year, backfilled

Revision ID: 0016
Revises: 0015
"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

QUARTERS = (1, 2, 3, 4)


def _sum(quarter: int | None) -> str:
    """The live verified 人次 of the tally row's member and year (in one quarter, or the whole year)."""
    in_quarter = f" AND a.quarter = {quarter}" if quarter is not None else ""
    return ("COALESCE((SELECT SUM(a.verified_people) FROM activity a WHERE a.member_id = tally.member_id"
            f" AND a.year = tally.year AND a.deleted_at IS NULL{in_quarter}), 0)")


# Frozen with this revision. Only the rows of members with a verified 人次 are touched: every other row's
# new columns are 0 already (the server default). Works on SQLite and PostgreSQL alike.
BACKFILL_SQL = (
    "UPDATE tally SET "
    + ", ".join(f"q{q}_verified = {_sum(q)}" for q in QUARTERS)
    + f", verified = {_sum(None)} "
    "WHERE EXISTS (SELECT 1 FROM activity a WHERE a.member_id = tally.member_id AND a.year = tally.year"
    " AND a.deleted_at IS NULL AND a.verified_people > 0)"
)


def upgrade() -> None:
    # plain ADD COLUMN on both databases: a batch rebuild on SQLite would lose the table's WITHOUT ROWID
    for q in QUARTERS:
        op.add_column('tally', sa.Column(f'q{q}_verified', sa.Integer(), nullable=False, server_default='0'))
    op.add_column('tally', sa.Column('verified', sa.Integer(), nullable=False, server_default='0'))
    op.execute(BACKFILL_SQL)


def downgrade() -> None:
    # DROP COLUMN in place (SQLite 3.35+), for the same reason
    for name in ('verified', *(f'q{q}_verified' for q in reversed(QUARTERS))):
        op.execute(f'ALTER TABLE tally DROP COLUMN {name}')

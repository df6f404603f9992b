"""station_geo: an index on the stations' coordinates, for the box "nearest reception days" narrows by

Revision ID: 0015
Revises: 0014
"""
from alembic import op


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('station', schema=None) as batch_op:
        batch_op.create_index('ix_station_lat_lon', ['latitude', 'longitude'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('station', schema=None) as batch_op:
        batch_op.drop_index('ix_station_lat_lon')

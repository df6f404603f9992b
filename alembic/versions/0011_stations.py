"""stations: workstations and studios, their members on duty, reception days, sign-ups and check-ins;
Activity.verified_people and Activity.reception_id, Case.reception_id

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

STATION_KIND = sa.Enum('workstation', 'studio', name='stationkind', native_enum=False, length=32)
RECEPTION_STATUS = sa.Enum('scheduled', 'cancelled', 'held', name='receptionstatus', native_enum=False, length=32)
SIGNUP_STATUS = sa.Enum('active', 'cancelled', name='signupstatus', native_enum=False, length=32)


def _string(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table('station',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', _string(32), nullable=False),
    sa.Column('name', _string(128), nullable=False),
    sa.Column('kind', STATION_KIND, nullable=False),
    sa.Column('address', _string(255), nullable=True),
    sa.Column('region_id', sa.Integer(), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('phone', _string(32), nullable=True),
    sa.Column('site', _string(128), nullable=True),
    sa.Column('sign', _string(128), nullable=True),
    sa.Column('rules', _string(128), nullable=True),
    sa.Column('feature', _string(128), nullable=True),
    sa.Column('archive', _string(128), nullable=True),
    sa.Column('results', _string(128), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['region_id'], ['region.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code'),
    )
    with op.batch_alter_table('station', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_station_region_id'), ['region_id'], unique=False)

    op.create_table('stationmember',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('station_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ),
    sa.ForeignKeyConstraint(['station_id'], ['station.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('station_id', 'member_id', name='uq_stationmember_station_member'),
    )
    with op.batch_alter_table('stationmember', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stationmember_member_id'), ['member_id'], unique=False)

    op.create_table('reception',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('station_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('topic', _string(255), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('status', RECEPTION_STATUS, nullable=False),
    sa.Column('created_by', sa.BigInteger(), nullable=False),
    sa.Column('checkin_token_hash', _string(64), nullable=True),
    sa.Column('reminder_sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('card_sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('activity_id', sa.Integer(), nullable=True),
    sa.Column('burst_flagged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activity.id'], ),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ),
    sa.ForeignKeyConstraint(['station_id'], ['station.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('checkin_token_hash'),
    )
    with op.batch_alter_table('reception', schema=None) as batch_op:
        batch_op.create_index('ix_reception_starts_at', ['starts_at'], unique=False)
        batch_op.create_index('ix_reception_station_starts', ['station_id', 'starts_at'], unique=False)
        batch_op.create_index('ix_reception_member_starts', ['member_id', 'starts_at'], unique=False)

    op.create_table('receptionsignup',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reception_id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('phone', _string(20), nullable=True),
    sa.Column('status', SIGNUP_STATUS, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['reception_id'], ['reception.id'], ),
    sa.ForeignKeyConstraint(['resident_id'], ['resident.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('reception_id', 'resident_id', name='uq_receptionsignup_reception_resident'),
    )
    with op.batch_alter_table('receptionsignup', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_receptionsignup_resident_id'), ['resident_id'], unique=False)

    op.create_table('receptioncheckin',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reception_id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('checked_in_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['reception_id'], ['reception.id'], ),
    sa.ForeignKeyConstraint(['resident_id'], ['resident.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('reception_id', 'resident_id', name='uq_receptioncheckin_reception_resident'),
    )
    with op.batch_alter_table('receptioncheckin', schema=None) as batch_op:
        batch_op.create_index('ix_receptioncheckin_reception_at', ['reception_id', 'checked_in_at'], unique=False)

    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.add_column(sa.Column('verified_people', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('reception_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_activity_reception_id_reception', 'reception', ['reception_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_activity_reception_id'), ['reception_id'], unique=False)

    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reception_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_case_reception_id_reception', 'reception', ['reception_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_case_reception_id'), ['reception_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_reception_id'))
        batch_op.drop_constraint('fk_case_reception_id_reception', type_='foreignkey')
        batch_op.drop_column('reception_id')

    with op.batch_alter_table('activity', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activity_reception_id'))
        batch_op.drop_constraint('fk_activity_reception_id_reception', type_='foreignkey')
        batch_op.drop_column('reception_id')
        batch_op.drop_column('verified_people')

    with op.batch_alter_table('receptioncheckin', schema=None) as batch_op:
        batch_op.drop_index('ix_receptioncheckin_reception_at')
    op.drop_table('receptioncheckin')
    with op.batch_alter_table('receptionsignup', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_receptionsignup_resident_id'))
    op.drop_table('receptionsignup')
    with op.batch_alter_table('reception', schema=None) as batch_op:
        batch_op.drop_index('ix_reception_member_starts')
        batch_op.drop_index('ix_reception_station_starts')
        batch_op.drop_index('ix_reception_starts_at')
    op.drop_table('reception')
    with op.batch_alter_table('stationmember', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stationmember_member_id'))
    op.drop_table('stationmember')
    with op.batch_alter_table('station', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_station_region_id'))
    op.drop_table('station')

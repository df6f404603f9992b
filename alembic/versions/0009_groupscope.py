"""group scopes name their committee: a group grant gets the committee's level and region path;
existing group grants whose group occurs in one committee only get that committee recorded

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

LEVEL = sa.Enum('national', 'province', 'city', 'county', name='level', native_enum=False, length=32)

# Frozen with this revision: the committees (level, region path; NULL = no region) that have
# members, active or not, in each activity group a group grant names. A deactivated member can
# come back with the next roster import, so their committee counts as having the group.
COMMITTEES_SQL = (
    "SELECT DISTINCT g.scope_value, m.level, r.path FROM rolegrant g "
    "JOIN activitygroup a ON a.name = g.scope_value "
    "JOIN member m ON m.activity_group_id = a.id "
    "LEFT JOIN region r ON r.id = m.region_id "
    "WHERE g.scope_kind = 'group' AND g.committee_level IS NULL"
)


def upgrade() -> None:
    with op.batch_alter_table('rolegrant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('committee_level', LEVEL, nullable=True))
        batch_op.add_column(sa.Column('committee_region', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True))
    _drop_unnamed_unique()
    op.execute("CREATE UNIQUE INDEX uq_rolegrant_scope ON rolegrant (telegram_id, role, scope_kind, scope_value, "
               "coalesce(committee_level, ''), coalesce(committee_region, ''))")
    bind = op.get_bind()
    committees: dict[str, list[tuple[str, str | None]]] = {}
    for name, level, path in bind.execute(sa.text(COMMITTEES_SQL)):
        committees.setdefault(name, []).append((level, path))
    # only where the name is unambiguous: a grant for a name in several committees (or in none)
    # stays without one, covers nobody and is flagged by `roles list` until an admin names it
    for name, found in sorted(committees.items()):
        if len(found) == 1:
            level, path = found[0]
            bind.execute(sa.text(
                "UPDATE rolegrant SET committee_level = :level, committee_region = :path "
                "WHERE scope_kind = 'group' AND scope_value = :name AND committee_level IS NULL"
            ), {"level": level, "path": path, "name": name})


def _drop_unnamed_unique() -> None:
    """The 0001 UNIQUE (telegram_id, role, scope_kind, scope_value): named by PostgreSQL (and by a
    downgrade from here), unnamed on a SQLite database made by 0001."""
    columns = ['telegram_id', 'role', 'scope_kind', 'scope_value']
    found = [c['name'] for c in sa.inspect(op.get_bind()).get_unique_constraints('rolegrant')
             if c['column_names'] == columns]
    if op.get_bind().dialect.name == 'postgresql':
        for name in found:
            op.drop_constraint(name, 'rolegrant', type_='unique')
        return
    # SQLite keeps the constraint in the table's definition: the batch copies the table without it;
    # a naming convention names an unnamed one while the table is reflected, so that it can be dropped
    with op.batch_alter_table('rolegrant', schema=None, recreate='always', naming_convention={
            'uq': 'uq_%(table_name)s_%(column_0_N_name)s'}) as batch_op:
        for name in found:
            batch_op.drop_constraint(name or 'uq_rolegrant_' + '_'.join(columns), type_='unique')


def downgrade() -> None:
    bind = op.get_bind()
    # back to one grant per name: the grants a committee told apart collapse into one (the lowest id)
    bind.execute(sa.text(
        "DELETE FROM rolegrant WHERE id NOT IN (SELECT MIN(id) FROM rolegrant "
        "GROUP BY telegram_id, role, scope_kind, scope_value)"
    ))
    op.execute('DROP INDEX IF EXISTS uq_rolegrant_scope')
    with op.batch_alter_table('rolegrant', schema=None) as batch_op:
        batch_op.drop_column('committee_region')
        batch_op.drop_column('committee_level')
        batch_op.create_unique_constraint('rolegrant_telegram_id_role_scope_kind_scope_value_key',
                                          ['telegram_id', 'role', 'scope_kind', 'scope_value'])

"""PeopleVersion, and the triggers that bump it whenever what an organization's users list counts may change:
a membership made or ended, an invitation made, deleted or moved in or out of the listed statuses (PENDING and
EXPIRED; the expiry job's PENDING → EXPIRED changes nothing listed and bumps nothing), a member's address
changed. In the database, so that services, bulk SQL, the admin and cascades all bump it alike.

SQLite drops a table's triggers when a migration rebuilds the table (``AlterField`` on SQLite does): a later
migration that alters invitations, organization memberships or users there must make them again (the tests of
``tests/api/test_users_counts.py`` fail otherwise)."""

from django.db import migrations, models

from accessportal.migration_operations import sql_by_vendor

LISTED = "('PENDING', 'EXPIRED')"
INVITATION_LISTING_CHANGED = f"""(OLD.status IN {LISTED}) {{distinct}} (NEW.status IN {LISTED})
    OR OLD.email {{distinct}} NEW.email OR OLD.organization_id {{distinct}} NEW.organization_id
    OR OLD.project_id {{distinct}} NEW.project_id"""
MEMBERSHIP_CHANGED = "OLD.organization_id {distinct} NEW.organization_id OR OLD.user_id {distinct} NEW.user_id"
ADDRESS_CHANGED = "OLD.email {distinct} NEW.email OR OLD.is_service_account {distinct} NEW.is_service_account"
BUMP = """INSERT INTO accounts_peopleversion (organization_id, version) {rows}
    ON CONFLICT (organization_id) DO UPDATE SET version = accounts_peopleversion.version + 1"""
MEMBERS_OF_NEW = "SELECT organization_id, 1 FROM accounts_organizationmembership WHERE user_id = NEW.id"


def _sqlite_up() -> list[str]:
    def bump(row):
        return BUMP.format(rows=f"VALUES ({row}.organization_id, 1)")

    changed = {
        "invitation": INVITATION_LISTING_CHANGED.format(distinct="IS NOT"),
        "organizationmembership": MEMBERSHIP_CHANGED.format(distinct="IS NOT"),
    }
    statements = []
    for table, when in changed.items():
        statements += [
            f"""CREATE TRIGGER accounts_{table}_people_insert AFTER INSERT ON accounts_{table}
               BEGIN {bump("NEW")}; END""",
            f"""CREATE TRIGGER accounts_{table}_people_delete AFTER DELETE ON accounts_{table}
               BEGIN {bump("OLD")}; END""",
            f"""CREATE TRIGGER accounts_{table}_people_update AFTER UPDATE ON accounts_{table} WHEN {when}
               BEGIN {bump("OLD")}; {bump("NEW")}; END""",
        ]
    # SQLite reads "INSERT ... SELECT ... ON CONFLICT" as a join unless the SELECT has a WHERE: it has one.
    statements.append(
        f"""CREATE TRIGGER accounts_user_people_update AFTER UPDATE ON accounts_user
           WHEN {ADDRESS_CHANGED.format(distinct="IS NOT")} BEGIN {BUMP.format(rows=MEMBERS_OF_NEW)}; END"""
    )
    return statements


SQLITE_DOWN = [
    f"DROP TRIGGER IF EXISTS accounts_{table}_people_{operation}"
    for table in ("invitation", "organizationmembership")
    for operation in ("insert", "delete", "update")
] + ["DROP TRIGGER IF EXISTS accounts_user_people_update"]


def _postgres_up() -> list[str]:
    statements = [
        f"""CREATE OR REPLACE FUNCTION accounts_people_changed() RETURNS trigger AS $$
           BEGIN
             IF TG_OP <> 'INSERT' THEN {BUMP.format(rows="VALUES (OLD.organization_id, 1)")}; END IF;
             IF TG_OP = 'INSERT' THEN {BUMP.format(rows="VALUES (NEW.organization_id, 1)")};
             ELSIF TG_OP = 'UPDATE' THEN
               IF NEW.organization_id <> OLD.organization_id THEN
                 {BUMP.format(rows="VALUES (NEW.organization_id, 1)")};
               END IF;
             END IF;
             RETURN NULL;
           END $$ LANGUAGE plpgsql""",
        f"""CREATE OR REPLACE FUNCTION accounts_people_address_changed() RETURNS trigger AS $$
           BEGIN {BUMP.format(rows=MEMBERS_OF_NEW)}; RETURN NULL; END $$ LANGUAGE plpgsql""",
    ]
    changed = {
        "invitation": INVITATION_LISTING_CHANGED.format(distinct="IS DISTINCT FROM"),
        "organizationmembership": MEMBERSHIP_CHANGED.format(distinct="IS DISTINCT FROM"),
    }
    for table, when in changed.items():
        statements += [
            f"""CREATE TRIGGER accounts_{table}_people AFTER INSERT OR DELETE ON accounts_{table}
               FOR EACH ROW EXECUTE FUNCTION accounts_people_changed()""",
            f"""CREATE TRIGGER accounts_{table}_people_update AFTER UPDATE ON accounts_{table}
               FOR EACH ROW WHEN ({when}) EXECUTE FUNCTION accounts_people_changed()""",
        ]
    statements.append(
        f"""CREATE TRIGGER accounts_user_people_update AFTER UPDATE ON accounts_user
           FOR EACH ROW WHEN ({ADDRESS_CHANGED.format(distinct="IS DISTINCT FROM")})
           EXECUTE FUNCTION accounts_people_address_changed()"""
    )
    return statements


POSTGRES_DOWN = [
    f"DROP TRIGGER IF EXISTS accounts_{table}_people{suffix} ON accounts_{table}"
    for table in ("invitation", "organizationmembership")
    for suffix in ("", "_update")
] + [
    "DROP TRIGGER IF EXISTS accounts_user_people_update ON accounts_user",
    "DROP FUNCTION IF EXISTS accounts_people_changed()",
    "DROP FUNCTION IF EXISTS accounts_people_address_changed()",
]


class Migration(migrations.Migration):
    dependencies = [("accounts", "0023_partial_foreign_key_indexes")]

    operations = [
        migrations.CreateModel(
            name="PeopleVersion",
            fields=[
                ("organization_id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("version", models.BigIntegerField(default=0)),
            ],
        ),
        sql_by_vendor(
            {"sqlite": _sqlite_up(), "postgresql": _postgres_up()},
            {"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN},
        ),
    ]

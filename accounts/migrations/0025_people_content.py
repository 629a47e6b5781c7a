"""PeopleVersion.content, and the triggers that bump it whenever what an organization's users list shows of its
people may change beyond what ``version`` already follows (migration 0024: who is listed): the members'
organization roles, their project memberships and project roles, their teams, their names and ids, and the
shown fields of a listed invitation (its roles, projects, teams, dates, inviter, bounce). Pages of the list are
cached under both numbers (``accounts.api.users.people``), so a change must bump one of them; the expiry job's
PENDING → EXPIRED of an invitation past its date changes nothing shown (the list shows it EXPIRED by its date)
and bumps nothing.

On PostgreSQL the tables that bulk jobs write (role rows, project and team memberships, invitation teams) bump
once per statement, through transition tables, and once per organization the statement touched: offboarding
deletes hundreds of rows in one statement. SQLite has row triggers only. As for 0024: a later migration that
rebuilds one of these tables on SQLite must make its triggers again."""

from django.db import migrations, models

from accessportal.migration_operations import sql_by_vendor

BUMP = """INSERT INTO accounts_peopleversion (organization_id, version, content) {rows}
    ON CONFLICT (organization_id) DO UPDATE SET content = accounts_peopleversion.content + 1"""

# The organization of each written row, by table: (the row's column naming its parent, the parent's tables, the
# parent's key, the organization's column). SQLite reads "INSERT ... SELECT ... ON CONFLICT" as a join unless the
# SELECT has a WHERE: its SELECTs have one.
ORGANIZATION_OF = {
    "organizationrole": ("membership_id", "accounts_organizationmembership m", "m.id", "m.organization_id"),
    "projectmembership": ("project_id", "accounts_project p", "p.id", "p.organization_id"),
    "projectrole": (
        "membership_id",
        "accounts_projectmembership m JOIN accounts_project p ON p.id = m.project_id",
        "m.id",
        "p.organization_id",
    ),
    "teammembership": ("team_id", "accounts_team t", "t.id", "t.organization_id"),
    "invitation_teams": ("invitation_id", "accounts_invitation i", "i.id", "i.organization_id"),
}


def _organization_of_row(table, row) -> str:
    """SQLite: the organization of the row NEW or OLD."""
    column, parent, key, organization = ORGANIZATION_OF[table]
    return f"SELECT {organization}, 0, 1 FROM {parent} WHERE {key} = {row}.{column}"


def _organizations_of_rows(table, transition) -> str:
    """PostgreSQL: the organizations of a statement's rows (a transition table), each once."""
    column, parent, key, organization = ORGANIZATION_OF[table]
    return f"SELECT DISTINCT {organization}, 0, 1 FROM {transition} r JOIN {parent} ON {key} = r.{column}"


# An invitation's shown fields; its status only when it is not the expiry job's PENDING -> EXPIRED of an
# invitation past its date (marked at or after expires_at).
INVITATION_SHOWN_CHANGED = """OLD.email {distinct} NEW.email OR OLD.roles {distinct} NEW.roles
    OR OLD.group_role_assignments {distinct} NEW.group_role_assignments OR OLD.inviter_email {distinct} NEW.inviter_email
    OR OLD.created_at {distinct} NEW.created_at OR OLD.expires_at {distinct} NEW.expires_at
    OR OLD.bounced_at {distinct} NEW.bounced_at OR OLD.public_id {distinct} NEW.public_id
    OR (OLD.status {distinct} NEW.status AND NOT (OLD.status = 'PENDING' AND NEW.status = 'EXPIRED'
        AND NEW.expired_at IS NOT NULL AND NEW.expires_at <= NEW.expired_at))"""
INVITATION_ORGANIZATIONS = "SELECT {row}.organization_id, 0, 1 WHERE {row}.organization_id IS NOT NULL"
USER_SHOWN_CHANGED = """OLD.first_name {distinct} NEW.first_name OR OLD.last_name {distinct} NEW.last_name
    OR OLD.date_joined {distinct} NEW.date_joined OR OLD.public_id {distinct} NEW.public_id"""
ORGANIZATIONS_OF_USER = (
    "SELECT organization_id, 0, 1 FROM accounts_organizationmembership WHERE user_id = NEW.id"
)


def _sqlite_up() -> list[str]:
    statements = []
    for table in ORGANIZATION_OF:
        for operation, row in (("insert", "NEW"), ("delete", "OLD")):
            statements.append(
                f"""CREATE TRIGGER accounts_{table}_people_content_{operation}
                   AFTER {operation.upper()} ON accounts_{table}
                   BEGIN {BUMP.format(rows=_organization_of_row(table, row))}; END"""
            )
        statements.append(
            f"""CREATE TRIGGER accounts_{table}_people_content_update AFTER UPDATE ON accounts_{table}
               BEGIN {BUMP.format(rows=_organization_of_row(table, "OLD"))};
               {BUMP.format(rows=_organization_of_row(table, "NEW"))}; END"""
        )
    statements += [
        f"""CREATE TRIGGER accounts_invitation_people_content_update AFTER UPDATE ON accounts_invitation
           WHEN {INVITATION_SHOWN_CHANGED.format(distinct="IS NOT")}
           BEGIN {BUMP.format(rows=INVITATION_ORGANIZATIONS.format(row="OLD"))};
           {BUMP.format(rows=INVITATION_ORGANIZATIONS.format(row="NEW"))}; END""",
        f"""CREATE TRIGGER accounts_user_people_content_update AFTER UPDATE ON accounts_user
           WHEN {USER_SHOWN_CHANGED.format(distinct="IS NOT")} BEGIN {BUMP.format(rows=ORGANIZATIONS_OF_USER)}; END""",
    ]
    return statements


SQLITE_DOWN = [
    f"DROP TRIGGER IF EXISTS accounts_{table}_people_content_{operation}"
    for table in ORGANIZATION_OF
    for operation in ("insert", "delete", "update")
] + [
    "DROP TRIGGER IF EXISTS accounts_invitation_people_content_update",
    "DROP TRIGGER IF EXISTS accounts_user_people_content_update",
]


def _postgres_up() -> list[str]:
    statements = []
    for table in ORGANIZATION_OF:
        statements.append(
            f"""CREATE OR REPLACE FUNCTION accounts_{table}_people_content() RETURNS trigger AS $$
               BEGIN
                 IF TG_OP <> 'INSERT' THEN {BUMP.format(rows=_organizations_of_rows(table, "old_rows"))}; END IF;
                 IF TG_OP <> 'DELETE' THEN {BUMP.format(rows=_organizations_of_rows(table, "new_rows"))}; END IF;
                 RETURN NULL;
               END $$ LANGUAGE plpgsql"""
        )
        for event, referencing in (
            ("INSERT", "NEW TABLE AS new_rows"),
            ("DELETE", "OLD TABLE AS old_rows"),
            ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
        ):
            statements.append(
                f"""CREATE TRIGGER accounts_{table}_people_content_{event.lower()} AFTER {event}
                   ON accounts_{table} REFERENCING {referencing} FOR EACH STATEMENT
                   EXECUTE FUNCTION accounts_{table}_people_content()"""
            )
    statements += [
        f"""CREATE OR REPLACE FUNCTION accounts_invitation_people_content() RETURNS trigger AS $$
           BEGIN
             {BUMP.format(rows=INVITATION_ORGANIZATIONS.format(row="OLD"))};
             IF NEW.organization_id <> OLD.organization_id THEN
               {BUMP.format(rows=INVITATION_ORGANIZATIONS.format(row="NEW"))};
             END IF;
             RETURN NULL;
           END $$ LANGUAGE plpgsql""",
        f"""CREATE TRIGGER accounts_invitation_people_content_update AFTER UPDATE ON accounts_invitation
           FOR EACH ROW WHEN ({INVITATION_SHOWN_CHANGED.format(distinct="IS DISTINCT FROM")})
           EXECUTE FUNCTION accounts_invitation_people_content()""",
        f"""CREATE OR REPLACE FUNCTION accounts_user_people_content() RETURNS trigger AS $$
           BEGIN {BUMP.format(rows=ORGANIZATIONS_OF_USER)}; RETURN NULL; END $$ LANGUAGE plpgsql""",
        f"""CREATE TRIGGER accounts_user_people_content_update AFTER UPDATE ON accounts_user
           FOR EACH ROW WHEN ({USER_SHOWN_CHANGED.format(distinct="IS DISTINCT FROM")})
           EXECUTE FUNCTION accounts_user_people_content()""",
    ]
    return statements


POSTGRES_DOWN = (
    [
        f"DROP TRIGGER IF EXISTS accounts_{table}_people_content_{event} ON accounts_{table}"
        for table in ORGANIZATION_OF
        for event in ("insert", "delete", "update")
    ]
    + [f"DROP FUNCTION IF EXISTS accounts_{table}_people_content()" for table in ORGANIZATION_OF]
    + [
        "DROP TRIGGER IF EXISTS accounts_invitation_people_content_update ON accounts_invitation",
        "DROP TRIGGER IF EXISTS accounts_user_people_content_update ON accounts_user",
        "DROP FUNCTION IF EXISTS accounts_invitation_people_content()",
        "DROP FUNCTION IF EXISTS accounts_user_people_content()",
    ]
)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0024_people_version")]

    operations = [
        # Added in place: SQLite's AddField of a NOT NULL column rebuilds the table, and the triggers of
        # 0024 on other tables name it.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="peopleversion",
                    name="content",
                    field=models.BigIntegerField(db_default=0),
                )
            ],
            database_operations=[
                migrations.RunSQL(
                    "ALTER TABLE accounts_peopleversion ADD COLUMN content bigint NOT NULL DEFAULT 0",
                    "ALTER TABLE accounts_peopleversion DROP COLUMN content",
                )
            ],
        ),
        sql_by_vendor(
            {"sqlite": _sqlite_up(), "postgresql": _postgres_up()},
            {"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN},
        ),
    ]

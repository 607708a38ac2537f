"""Phone numbers in E.164: the stored ones normalised (a data migration).

Numbers were stored as typed ("+55 11 91234-5678", "(11) 91234-5678");
the API now stores E.164 ("+5511912345678", Brazilian when no country code
is given).  A stored number that is not a valid one is kept as typed, and
``plantao check`` lists it for an admin to correct.

The downgrade keeps the E.164 numbers: the older code reads them as well,
and how each was once typed is not recorded anywhere.

Revision ID: 0005
Revises: 0004
"""

import phonenumbers
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

#: What a number without a country code is read as (plantao.services.contacts).
DEFAULT_REGION = "BR"

people = sa.table("people", sa.column("id", sa.Integer), sa.column("phone", sa.String(40)))


def e164(phone: str) -> str | None:
    """The E.164 form of a valid number; None for anything else.

    Frozen here rather than imported from the application, so that this
    migration keeps doing what it did whatever the code becomes.
    """
    try:
        number = phonenumbers.parse(phone, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.select(people.c.id, people.c.phone).where(people.c.phone.is_not(None))).all()
    for person_id, phone in rows:
        normalized = e164(phone)
        if normalized is not None and normalized != phone:
            connection.execute(people.update().where(people.c.id == person_id).values(phone=normalized))


def downgrade() -> None:
    pass

"""``manage.py seed``: fill the people table with 100 deterministic rows.

Row i (1..100) is ``Person(name="Person i", email="personi@example.com",
age=18 + i % 60, is_active=i % 7 != 0)``. Rows that already exist (matched by
email) are left alone, so running it twice is harmless.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from people.models import Person

TARGET = 100


def person_fields(i: int) -> dict:
    return {
        "name": f"Person {i}",
        "email": f"person{i}@example.com",
        "age": 18 + i % 60,
        "is_active": i % 7 != 0,
    }


class Command(BaseCommand):
    help = f"Create {TARGET} deterministic Person rows if the table has fewer."

    def handle(self, *args, **options):
        before = Person.objects.count()
        if before >= TARGET:
            self.stdout.write(f"seed: {before} people already present, nothing to do")
            return
        with transaction.atomic():
            existing = set(Person.objects.values_list("email", flat=True))
            missing = [
                Person(**fields)
                for fields in map(person_fields, range(1, TARGET + 1))
                if fields["email"] not in existing
            ]
            Person.objects.bulk_create(missing)
        after = Person.objects.count()
        self.stdout.write(self.style.SUCCESS(f"seed: created {after - before} people ({after} total)"))

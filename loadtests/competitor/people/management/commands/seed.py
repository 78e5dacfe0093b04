"""Replace the Person table with 100 deterministic rows.

Same rows as examples/demo's `manage.py seed`: row i (1..100) is
Person(name="Person i", email="personi@example.com", age=18 + i % 60,
is_active=i % 7 != 0).
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from people.models import Person


class Command(BaseCommand):
    help = "Seed 100 Person rows (deterministic)."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=100)

    def handle(self, *args, **options):
        n = options["count"]
        with transaction.atomic():
            Person.objects.all().delete()
            Person.objects.bulk_create(
                Person(
                    name=f"Person {i}",
                    email=f"person{i}@example.com",
                    age=18 + i % 60,
                    is_active=(i % 7 != 0),
                )
                for i in range(1, n + 1)
            )
        self.stdout.write(f"seeded {Person.objects.count()} people")

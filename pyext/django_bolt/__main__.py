import sys

from django_bolt.cli import main

sys.exit(main())

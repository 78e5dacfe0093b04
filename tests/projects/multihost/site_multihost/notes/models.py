from django.db import models


class Note(models.Model):
    """A row one host writes and another reads back (the shared database)."""

    text = models.CharField(max_length=200)
    host = models.CharField(max_length=20)

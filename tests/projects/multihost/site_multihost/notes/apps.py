from django.apps import AppConfig


class NotesConfig(AppConfig):
    name = "site_multihost.notes"
    label = "notes"

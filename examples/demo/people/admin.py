from django.contrib import admin

from .models import Person


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "email", "age", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "email"]

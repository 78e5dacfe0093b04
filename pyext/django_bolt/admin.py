from django.contrib import admin

from .models import APIKey


@admin.register(APIKey)
class APIKeyAdmin(admin.ModelAdmin):
    """API keys in the admin; new keys are made with ``manage.py bolt_apikey create`` (the key
    itself is shown once, only there)."""

    list_display = ("name", "prefix", "owner", "scopes", "created", "last_used", "expires", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix", "owner__username")
    readonly_fields = ("prefix", "hashed_key", "created", "last_used")
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request, queryset) -> None:  # type: ignore[no-untyped-def]
        from django.utils import timezone

        queryset.filter(revoked_at=None).update(revoked_at=timezone.now())

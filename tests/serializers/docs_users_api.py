"""django-bolt's serializers.md, "Using with API handlers", as written there (``User`` is Django's
auth user; the demo has it)."""

from __future__ import annotations

from django.contrib.auth.models import User

from django_bolt import BoltAPI
from django_bolt.serializers import Serializer

api = BoltAPI(prefix="/docs-users")


class UserSerializer(Serializer):
    id: int
    username: str
    email: str

    class Config:
        field_sets = {
            "list": ["id", "username"],
            "detail": ["id", "username", "email"],
        }


UserListSerializer = UserSerializer.fields("list")
UserDetailSerializer = UserSerializer.fields("detail")


@api.get("/users")
async def list_users() -> list[UserListSerializer]:
    users = []
    async for user in User.objects.all()[:20]:
        users.append(await UserListSerializer.afrom_model(user))
    return users


@api.get("/users/{user_id}")
async def get_user(user_id: int) -> UserDetailSerializer:
    user = await User.objects.aget(id=user_id)
    return await UserDetailSerializer.afrom_model(user)

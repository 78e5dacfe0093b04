"""Examples of django-bolt's docs (requests.md, getting-started/quickstart.md) as written there,
with one change each: ``import msgspec`` / ``from msgspec import Meta`` became the lines
marked ``# was: ...``. The handlers that read the quickstart's Mission model return what they
were given instead (the demo has no missions app)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from django_bolt import BoltAPI
from django_bolt.compat import msgspec  # was: import msgspec
from django_bolt.compat.msgspec import Meta  # was: from msgspec import Meta
from django_bolt.param_functions import Form, Query
from django_bolt.serializers import Serializer, field_validator

api = BoltAPI(prefix="/docs")


# requests.md, "Constraints"
@api.get("/articles")
async def articles(
    page: Annotated[int, msgspec.Meta(ge=1)] = 1,
    code: Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$"), Query()] = "ABC",
):
    return {"page": page, "code": code}


# requests.md, "JSON body"
class CreateUser(msgspec.Struct):
    username: str
    email: str
    age: int | None = None


@api.post("/users")
async def create_user(user: CreateUser):
    return {"username": user.username}


# requests.md, "Form models"
class LoginForm(msgspec.Struct):
    username: str
    password: str
    remember_me: bool = False


@api.post("/login")
async def login(form: Annotated[LoginForm, Form()]):
    return {"username": form.username, "remember": form.remember_me}


class RegisterForm(Serializer):
    username: str
    email: str
    password: str

    @field_validator("username")
    def validate_username(cls, value):
        if len(value) < 3:
            raise ValueError("Username must be at least 3 characters")
        return value


@api.post("/register")
async def register(form: Annotated[RegisterForm, Form()]):
    return {"username": form.username}


# quickstart.md, "Query parameters" (a Serializer as a query model)
class MissionFilters(Serializer):
    status: Literal["planned", "active", "completed", "aborted"] | None = None
    limit: Annotated[int, Meta(ge=1, le=100)] = 10


@api.get("/missions")
async def list_missions(filters: Annotated[MissionFilters, Query()]):
    return {"status": filters.status, "limit": filters.limit}


# quickstart.md, "Request body"
class CreateMission(Serializer):
    name: Annotated[str, Meta(min_length=1, max_length=100)]
    description: Annotated[str, Meta(max_length=500)] = ""
    launch_date: datetime | None = None

    @field_validator("name")
    def validate_name(cls, value):
        if value.lower().startswith("test"):
            raise ValueError("Mission name cannot start with 'test'")
        return value


@api.post("/missions")
async def create_mission(mission: CreateMission):
    return {"name": mission.name, "launch_date": mission.launch_date, "status": "planned"}


# quickstart.md, "Form data"
class CreateAstronaut(Serializer):
    name: Annotated[str, Meta(min_length=1, max_length=100)]
    role: Annotated[str, Meta(min_length=1, max_length=50)]

    @field_validator("role")
    def validate_role(cls, value):
        valid_roles = ["Commander", "Pilot", "Mission Specialist", "Flight Engineer", "Payload Specialist"]
        if value not in valid_roles:
            raise ValueError(f"Role must be one of: {', '.join(valid_roles)}")
        return value


@api.post("/missions/{mission_id}/astronauts")
async def add_astronaut(mission_id: int, data: Annotated[CreateAstronaut, Form()]):
    return {"name": data.name, "role": data.role, "mission": mission_id}


# responses.md, "Response validation"
class User(msgspec.Struct):
    id: int
    username: str
    email: str


@api.get("/users/{user_id}", response_model=User)
async def get_user(user_id: int):
    return {"id": user_id, "username": "john", "email": "john@example.com"}


@api.get("/users-annotated/{user_id}")
async def get_user_annotated(user_id: int) -> User:
    return {"id": user_id, "username": "john", "email": "john@example.com"}


@api.get("/users-broken/{user_id}")
async def get_user_broken(user_id: int) -> User:
    """Not in the docs: the docs' "a response that does not match is a 500"."""
    return {"id": user_id, "username": "john"}


# msgspec's UNSET idiom for partial updates (not from django-bolt's docs): absent vs null.
class ProfilePatch(msgspec.Struct):
    name: str | msgspec.UnsetType = msgspec.UNSET
    bio: str | None | msgspec.UnsetType = msgspec.UNSET


@api.patch("/profile")
async def patch_profile(data: ProfilePatch) -> dict:
    changed = [f for f in ("name", "bio") if getattr(data, f) is not msgspec.UNSET]
    return {"changed": changed, "echo": msgspec.to_builtins(data)}

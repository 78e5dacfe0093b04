"""The API tests/views exercise: class-based views and pagination over the demo's ``Person``
(examples/demo/people), served in-process by ``TestClient`` (conftest.py) and by a real
``bolt`` through ``viewset_site.py``'s settings (test_server.py)."""

from __future__ import annotations

from typing import Annotated

from django_bolt import (
    APIView,
    BoltAPI,
    CursorPagination,
    LimitOffsetPagination,
    Meta,
    ModelViewSet,
    PageNumberPagination,
    ReadOnlyModelViewSet,
    Struct,
    ViewSet,
    action,
    paginate,
)
from django_bolt.auth import IsAuthenticated, JWTAuthentication
from people.models import Person

api = BoltAPI(prefix="/v")


class PersonOut(Struct):
    id: int
    name: str
    email: str
    age: int
    is_active: bool


class PersonBrief(Struct):
    id: int
    name: str


class NewPerson(Struct):
    name: Annotated[str, Meta(min_length=1, max_length=100)]
    email: str
    age: Annotated[int, Meta(ge=0, le=32767)]


class TenPerPage(PageNumberPagination):
    page_size = 10
    max_page_size = 25


@api.viewset("/people", tags=["people"])
class PeopleViewSet(ModelViewSet):
    """Every CRUD action, paginated, with a filter from the query and two custom actions."""

    queryset = Person.objects.order_by("id")
    serializer_class = PersonOut
    list_serializer_class = PersonBrief
    create_serializer_class = NewPerson
    pagination_class = TenPerPage

    async def filter_queryset(self, queryset):
        prefix = self.request.query.get("prefix")
        return queryset.filter(name__startswith=prefix) if prefix else queryset

    @action(methods=["POST"], detail=True)
    async def deactivate(self, request) -> PersonOut:
        person = await self.get_object()
        person.is_active = False
        await self.perform_update(person)
        return person

    @action(methods=["GET"], detail=False, path="oldest", name="oldest")
    async def oldest_people(self, request, limit: Annotated[int, Meta(ge=1, le=10)] = 3) -> list[PersonBrief]:
        return [p async for p in Person.objects.order_by("-age", "id")[:limit]]

    @action(methods=["GET"], detail=True, path="whoami")
    def whoami(self, request, pk: int) -> dict:
        """A sync action: the view instance still has the request and the action's name."""
        return {"pk": pk, "action": self.action, "path": self.request.path, "kwargs": self.kwargs}


@api.viewset("/plain")
class PlainViewSet(ReadOnlyModelViewSet):
    """Unpaginated: the list is the whole (filtered) queryset, 20 rows."""

    queryset = Person.objects.filter(id__lte=20).order_by("id")
    serializer_class = PersonOut


@api.viewset("/by-email", name="by-email")
class ByEmailViewSet(ReadOnlyModelViewSet):
    queryset = Person.objects.all()
    serializer_class = PersonOut
    lookup_field = "email"


class ItemIn(Struct):
    name: str
    price: Annotated[float, Meta(gt=0)]


@api.viewset("/items")
class ItemViewSet(ViewSet):
    """A plain ViewSet whose actions declare their own parameters (django-bolt's docs example)."""

    async def list(self, request) -> list[dict]:
        return [{"id": 1}, {"id": 2}]

    async def retrieve(self, request, pk: int) -> dict:
        return {"id": pk}

    async def create(self, request, item: ItemIn) -> dict:
        return {"id": 3, "name": item.name, "price": item.price}

    async def partial_update(self, request, pk: int, item: ItemIn) -> dict:
        return {"id": pk, "patched": item.name}

    async def destroy(self, request, pk: int):
        return None


class Greeting(Struct):
    text: str


@api.view("/hello/{name}")
class HelloView(APIView):
    async def get(self, request, name: str, shout: bool = False) -> dict:
        return {"hello": name.upper() if shout else name, "method": self.request.method}

    def post(self, name: str, greeting: Greeting) -> dict:
        return {"to": name, "text": greeting.text, "has_request": self.request is not None}


@api.view("/secret")
class SecretView(APIView):
    auth = [JWTAuthentication()]
    guards = [IsAuthenticated()]

    async def get(self, request) -> dict:
        return {"sub": request.auth["sub"]}


@api.view("/created", status_code=201)
class CreatedView(APIView):
    async def post(self) -> dict:
        return {"ok": True}


# -- @paginate on function handlers ---------------------------------------------------------------


@api.get("/paged/pages")
@paginate(TenPerPage)
async def pages(request) -> list[PersonBrief]:
    return Person.objects.order_by("id")


@api.get("/paged/offset", response_model=list[PersonBrief])
@paginate(LimitOffsetPagination)
async def offset(min_age: int = 0):
    return Person.objects.filter(age__gte=min_age).order_by("id")


class ByIdCursor(CursorPagination):
    page_size = 30
    ordering = "id"


@api.get("/paged/cursor")
@paginate(ByIdCursor)
async def cursor() -> list[PersonBrief]:
    return Person.objects.all()


class NewestFirst(CursorPagination):
    page_size = 40


@api.get("/paged/cursor-desc")
@paginate(NewestFirst)
async def cursor_desc() -> list[PersonBrief]:
    return Person.objects.all()


@api.get("/paged/numbers")
@paginate(PageNumberPagination)
def numbers() -> list[int]:
    """A sync handler returning a plain list."""
    return list(range(250))


@api.get("/paged/eager")
@paginate(TenPerPage)
def eager() -> list[PersonBrief]:
    """A sync handler that runs its query itself (no event loop in its way, as bolt's def
    handlers): a list is paginated in Python."""
    return list(Person.objects.filter(id__lte=30).order_by("id"))


@api.viewset("/young")
class YoungViewSet(ReadOnlyModelViewSet):
    """get_queryset overridden (reads self.request): the list goes through the view."""

    queryset = Person.objects.order_by("id")
    serializer_class = PersonBrief

    async def get_queryset(self):
        queryset = await super().get_queryset()
        return queryset.filter(age__lt=int(self.request.query.get("under", "20")))


@api.viewset("/guarded")
class GuardedViewSet(ReadOnlyModelViewSet):
    """Class-level auth and guards on every generated route, the plain list's included."""

    queryset = Person.objects.filter(id__lte=2).order_by("id")
    serializer_class = PersonBrief
    auth = [JWTAuthentication()]
    guards = [IsAuthenticated()]

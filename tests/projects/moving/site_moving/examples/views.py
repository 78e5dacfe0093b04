"""django-bolt 0.13's class-based views and pagination pages (docs/src/topics/
class-based-views.md, pagination.md), the examples that need no model, as written.

Where bolt differs: ``import msgspec`` is ``from django_bolt.compat import msgspec``; the
``QUERY`` method handler is left out (the method is not routed here, docs/compat.md); the request
body types the pages assume (``UserUpdate``, ``ItemCreate``...) are defined; paths reused in the
pages get their own (``# path:``); pagination runs over a list here (a QuerySet in the pages:
tests/compat/docs/test_views.py runs those against the demo's model).
"""

from django_bolt import BoltAPI, LimitOffsetPagination, PageNumberPagination, action, paginate
from django_bolt.compat import msgspec
from django_bolt.views import APIView, ViewSet

api = BoltAPI()


@api.view("/hello")
class HelloView(APIView):
    async def get(self, request):
        return {"message": "Hello"}

    async def post(self, request, name: str):
        return {"message": f"Hello, {name}"}


@api.view("/resource")
class ResourceView(APIView):
    async def get(self, request):
        """Handle GET requests"""
        return {"method": "GET"}

    async def post(self, request):
        """Handle POST requests"""
        return {"method": "POST"}

    async def put(self, request):
        """Handle PUT requests"""
        return {"method": "PUT"}

    async def patch(self, request):
        """Handle PATCH requests"""
        return {"method": "PATCH"}

    async def delete(self, request):
        """Handle DELETE requests"""
        return {"method": "DELETE"}


class UserUpdate(msgspec.Struct):
    name: str


@api.view("/users/{user_id}")
class UserView(APIView):
    async def get(self, request, user_id: int):
        return {"user_id": user_id}

    async def put(self, request, user_id: int, data: UserUpdate):
        return {"user_id": user_id, "updated": True}


class ItemCreate(msgspec.Struct):
    name: str


class ItemUpdate(msgspec.Struct):
    name: str


class ItemPatch(msgspec.Struct):
    name: str | None = None


@api.viewset("/items")
class ItemViewSet(ViewSet):
    async def list(self, request) -> list[dict]:
        """GET /items"""
        return [{"id": 1}, {"id": 2}]

    async def retrieve(self, request, pk: int) -> dict:
        """GET /items/{pk}"""
        return {"id": pk}

    async def create(self, request, item: ItemCreate) -> dict:
        """POST /items"""
        return {"id": 1, "created": True}

    async def update(self, request, pk: int, item: ItemUpdate) -> dict:
        """PUT /items/{pk}"""
        return {"id": pk, "updated": True}

    async def partial_update(self, request, pk: int, item: ItemPatch) -> dict:
        """PATCH /items/{pk}"""
        return {"id": pk, "patched": True}

    async def destroy(self, request, pk: int):
        """DELETE /items/{pk}"""
        return None

    @action(methods=["POST"], detail=True, path="custom-action-name")
    async def some_method_name(self, request, pk: int):
        """POST /items/{pk}/custom-action-name"""
        return {"action": "custom-action-name", "article_id": pk}

    @action(methods=["GET"], detail=False)
    async def search(self, request, query: str, limit: int = 10):
        """GET /items/search?query=xxx&limit=5"""
        return {"query": query, "limit": limit, "results": []}


class Article(msgspec.Struct):
    id: int
    title: str


ARTICLES = [{"id": i, "title": f"Article {i}"} for i in range(1, 46)]


class ArticlePagination(PageNumberPagination):
    page_size = 20
    max_page_size = 100
    page_size_query_param = "page_size"  # Allow client to customize


@api.get("/articles")
@paginate(ArticlePagination)
async def list_articles(request) -> list[Article]:
    return ARTICLES


@api.get("/offset/articles", response_model=list[Article])  # path: /articles
@paginate(LimitOffsetPagination)
async def list_articles_by_offset(request):
    return ARTICLES


APIS = [api]

"""django-bolt 0.13's class-based views and pagination examples that need a model, run against
the demo's ``people.Person`` (the pages use ``Article``; ``# model:`` marks each change of name).
In-process only (tests/compat/docs/test_views.py): the moving project has no tables."""

from typing import Generic, TypeVar

from django_bolt import BoltAPI, CursorPagination, ModelViewSet, PageNumberPagination, action, paginate
from django_bolt.serializers import Serializer
from django_bolt.views import ViewSet
from people.models import Person  # model: Article

from .views import ArticlePagination

api = BoltAPI(prefix="/m")


class ArticleSchema(Serializer):
    id: int
    name: str  # model: title
    email: str  # model: content


class ArticleCreateSchema(Serializer):
    name: str  # model: title
    email: str  # model: content
    age: int  # model: (Person needs it)


@api.viewset("/articles")
class ArticleViewSet(ModelViewSet):
    queryset = Person.objects.all()
    serializer_class = ArticleSchema
    create_serializer_class = ArticleCreateSchema
    pagination_class = PageNumberPagination


@api.viewset("/by-id")  # path: /articles
class ArticleByIdViewSet(ViewSet):
    queryset = Person.objects.all()
    lookup_field = "id"  # Use 'id' instead of 'pk'

    async def retrieve(self, request):
        """GET /articles/{id}"""
        article = await self.get_object()
        return {"id": article.id, "title": article.name}  # model: article.title

    @action(methods=["GET"], detail=False)
    async def published(self, request):
        """Collection action: GET /articles/published"""
        articles = []
        async for article in Person.objects.filter(is_active=True)[:3]:  # model: is_published, no slice
            articles.append({"id": article.id, "title": article.name})
        return articles

    @action(methods=["POST"], detail=True)
    async def feature(self, request, id: int):
        """POST /articles/{id}/feature"""
        return {"featured": True, "article_id": id}


class CursorArticlePagination(CursorPagination):
    page_size = 20
    ordering = "-id"  # model: -created_at


@api.get("/cursor/articles")  # path: /articles
@paginate(CursorArticlePagination)
async def list_articles(request) -> list[ArticleSchema]:
    return Person.objects.all()


# The pagination page's "ViewSet with Pagination" and "ModelViewSet with Pagination".
@api.viewset("/paged")  # path: /articles
class PagedArticleViewSet(ViewSet):
    queryset = Person.objects.all()
    pagination_class = ArticlePagination

    async def list(self, request) -> list[ArticleSchema]:
        return await self.get_queryset()


class ArticleListSchema(Serializer):  # ArticleListSerializer in the page
    id: int
    name: str  # model: title


@api.viewset("/listed")  # path: /articles
class ListedArticleViewSet(ModelViewSet):
    queryset = Person.objects.all()
    serializer_class = ArticleSchema  # For detail views
    list_serializer_class = ArticleListSchema  # For list view
    pagination_class = ArticlePagination  # Automatically applied to list()


# The pagination page's "Custom response envelope".
T = TypeVar("T")


class DRFPage(Serializer, Generic[T]):  # noqa: UP046 - as the page writes it
    count: int
    next: str | None
    previous: str | None
    results: list[T]


class DRFPagination(PageNumberPagination):
    page_size = 20
    response_class = DRFPage

    def build_response(self, items, *, total, request, page, page_size, has_next, has_previous, **info):
        base = f"{request.path}?page_size={page_size}&page="
        return DRFPage(
            count=total,
            next=f"{base}{page + 1}" if has_next else None,
            previous=f"{base}{page - 1}" if has_previous else None,
            results=items,
        )


@api.get("/drf/articles")  # path: /articles
@paginate(DRFPagination)
async def list_articles_drf(request) -> list[ArticleSchema]:
    return Person.objects.all()


APIS = [api]

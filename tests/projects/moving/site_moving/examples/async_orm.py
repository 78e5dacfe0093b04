"""django-bolt 0.13's async ORM page (docs/src/topics/async-orm.md), its handlers as written.

The page's models are not shown there; they are defined here with the fields its code reads
(``# defined:``), in the demo's ``people`` app (``# app:``; under an app that is not installed,
Django's delete would not see their many-to-many rows); tests/compat/docs/test_async_orm.py makes
and drops their tables in the demo's database. ``author`` is Django's user. ``import msgspec`` is
``from django_bolt.compat import msgspec``. Snippets that are not handlers ("Basic async ORM
methods", "Bulk operations") are put in one (``# handler added:``); the "Common mistakes" are
lines that fail or mislead by the page's own word and are not ported. Examples that reuse a path
get their own (``# path:``).

As written, three examples cannot work, in django-bolt 0.13 either: the "BAD" N+1 example raises
``SynchronousOnlyOperation`` (Django refuses a lazy relation load in async code) where the page
counts 21 queries; a handler that returns a QuerySet of model instances with no response type
("Returning querysets directly") is a 500, since a model instance is not JSON; and ``transfer_funds`` reads ``from_id``/``to_id``/``amount`` as query
parameters, as any handler does with scalar parameters, so it is called that way here.
"""

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import models, transaction
from django.db.models import Avg, Count, Q

from django_bolt import BoltAPI
from django_bolt.compat import msgspec
from django_bolt.views import ViewSet

# --- the page's models (defined) -------------------------------------------------------------------


class Tag(models.Model):
    name = models.CharField(max_length=50)

    class Meta:
        app_label = "people"  # app: see above


class Article(models.Model):
    title = models.CharField(max_length=200)
    content = models.TextField(blank=True)
    published = models.BooleanField(default=False)
    draft = models.BooleanField(default=False)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="+")
    tags = models.ManyToManyField(Tag, related_name="+")
    comment_count = models.IntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "people"  # app: see above


class BlogPost(models.Model):
    title = models.CharField(max_length=200)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    tags = models.ManyToManyField(Tag, related_name="+")

    class Meta:
        app_label = "people"  # app: see above


class Comment(models.Model):
    post = models.ForeignKey(BlogPost, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    text = models.TextField()

    class Meta:
        app_label = "people"  # app: see above


class Account(models.Model):
    balance = models.FloatField(default=0)

    class Meta:
        app_label = "people"  # app: see above


MODELS = [Tag, Article, BlogPost, Comment, Account]

api = BoltAPI()


@api.get("/basics")  # handler added: the "Basic async ORM methods" lines, in order
async def basics():
    # Create an object
    article = await Article.objects.acreate(title="My Article", content="Content here")

    # Get a single object
    article = await Article.objects.aget(id=article.id)

    # Get or create
    article, created = await Article.objects.aget_or_create(title="My Article", defaults={"content": "Default content"})

    # Count
    total = await Article.objects.acount()

    # Check existence
    exists = await Article.objects.filter(published=True).aexists()

    # Update
    updated_count = await Article.objects.filter(draft=True).aupdate(published=True)

    # Delete
    deleted_count, _ = await Article.objects.filter(draft=True).adelete()

    return {
        "created": created,
        "total": total,
        "exists": exists,
        "updated": updated_count,
        "deleted": deleted_count,
    }


@api.get("/articles")
async def list_articles():
    articles = []
    async for article in Article.objects.filter(published=True)[:20]:
        articles.append({"id": article.id, "title": article.title})
    return {"articles": articles}


# BAD: N+1 queries
@api.get("/bad/articles")  # path: /articles
async def list_articles_n_plus_one():
    articles = []
    async for article in Article.objects.all()[:20]:
        # Each article.author triggers a separate query!
        articles.append(
            {
                "id": article.id,
                "title": article.title,
                "author_name": article.author.username,  # N+1 query here!
            }
        )
    return {"articles": articles}


# GOOD: 1 query with JOIN
@api.get("/good/articles")  # path: /articles
async def list_articles_joined():
    articles = []
    async for article in Article.objects.select_related("author")[:20]:
        articles.append(
            {
                "id": article.id,
                "title": article.title,
                "author_name": article.author.username,  # No extra query!
            }
        )
    return {"articles": articles}


# GOOD: 2 queries (articles + tags)
@api.get("/prefetched/articles")  # path: /articles
async def list_articles_prefetched():
    articles = []
    queryset = Article.objects.select_related("author").prefetch_related("tags")
    async for article in queryset[:20]:
        articles.append(
            {
                "id": article.id,
                "title": article.title,
                "author_name": article.author.username,
                "tags": [tag.name for tag in article.tags.all()],  # Already prefetched!
            }
        )
    return {"articles": articles}


@api.get("/posts/{post_id}")
async def get_post(post_id: int):
    post = await (
        BlogPost.objects.select_related("author")  # ForeignKey
        .prefetch_related("tags", "comments__author")  # M2M and nested FK
        .aget(id=post_id)
    )

    return {
        "id": post.id,
        "title": post.title,
        "author": {"id": post.author.id, "name": post.author.username},
        "tags": [{"id": t.id, "name": t.name} for t in post.tags.all()],
        "comments": [
            {
                "id": c.id,
                "text": c.text,
                "author": c.author.username,  # Prefetched via comments__author
            }
            for c in post.comments.all()
        ],
    }


# This works, but may cause N+1 if serializer accesses relations
@api.get("/direct/articles")  # path: /articles
async def list_articles_directly():
    return Article.objects.all()[:20]


class AuthorSchema(msgspec.Struct):
    id: int
    username: str


class ArticleSchema(msgspec.Struct):
    id: int
    title: str
    author: AuthorSchema  # Nested!


@api.get("/articles/{article_id}")
async def get_article(article_id: int) -> ArticleSchema:
    # MUST use select_related for the nested author
    article = await Article.objects.select_related("author").aget(id=article_id)

    return ArticleSchema(
        id=article.id,
        title=article.title,
        author=AuthorSchema(id=article.author.id, username=article.author.username),
    )


@api.get("/paged/articles")  # path: /articles
async def list_articles_paged(page: int = 1, page_size: int = 20):
    offset = (page - 1) * page_size

    # Optimize the base queryset
    queryset = (
        Article.objects.select_related("author").prefetch_related("tags").filter(published=True).order_by("-created_at")
    )

    # Get count and page
    total = await queryset.acount()
    articles = []
    async for article in queryset[offset : offset + page_size]:
        articles.append(
            {
                "id": article.id,
                "title": article.title,
                "author": article.author.username,
                "tags": [t.name for t in article.tags.all()],
            }
        )

    return {
        "items": articles,
        "total": total,
        "page": page,
        "pages": (total + page_size - 1) // page_size,
    }


@api.viewset("/vs/articles")  # path: /articles
class ArticleViewSet(ViewSet):
    # Optimize here - applies to all actions
    queryset = Article.objects.select_related("author").prefetch_related("tags")

    async def list(self, request) -> list[dict]:
        articles = []
        async for article in await self.get_queryset():
            articles.append(self.serialize(article))
        return articles

    async def retrieve(self, request) -> dict:
        article = await self.get_object()
        return self.serialize(article)

    def serialize(self, article):
        return {
            "id": article.id,
            "title": article.title,
            "author": article.author.username,
            "tags": [t.name for t in article.tags.all()],
        }


@api.get("/stats")
async def article_stats():
    stats = await Article.objects.aaggregate(
        total=Count("id"),
        published=Count("id", filter=Q(published=True)),
        avg_comments=Avg("comment_count"),
    )
    return stats


@api.post("/bulk")  # handler added: the "Bulk operations" lines
async def bulk():
    # Bulk create
    articles = [Article(title=f"Article {i}", content="...") for i in range(100)]
    created = await Article.objects.abulk_create(articles)

    # Bulk update
    await Article.objects.filter(draft=True).aupdate(published=True)
    return {"created": len(created)}


@api.post("/transfer")
async def transfer_funds(from_id: int, to_id: int, amount: float):
    @sync_to_async
    def do_transfer():
        with transaction.atomic():
            from_account = Account.objects.select_for_update().get(id=from_id)
            to_account = Account.objects.select_for_update().get(id=to_id)

            from_account.balance -= amount
            to_account.balance += amount

            from_account.save()
            to_account.save()

        return {"success": True}

    return await do_transfer()


APIS = [api]

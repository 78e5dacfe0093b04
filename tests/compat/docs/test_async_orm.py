"""django-bolt 0.13's async ORM page (topics/async-orm.md) through ``TestClient``, against the
page's models (site_moving/examples/async_orm.py), whose tables this module makes in the demo's
database and drops. The page's point is the number of queries each form makes: counted here on
the connection the handlers use (they run on the test's thread)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from django_bolt.testing import TestClient


@pytest.fixture(scope="module")
def page(example):
    page = example("async_orm")
    existing = set(connection.introspection.table_names())
    with connection.schema_editor() as editor:
        for model in reversed(page.MODELS):
            if model._meta.db_table in existing:  # a run that stopped half-way left it
                editor.delete_model(model)
        for model in page.MODELS:
            editor.create_model(model)
    try:
        yield page
    finally:
        with connection.schema_editor() as editor:
            for model in reversed(page.MODELS):
                editor.delete_model(model)


@pytest.fixture(scope="module")
def seeded(page):
    from django.contrib.auth.models import User

    author, _ = User.objects.get_or_create(username="docs-orm-author")
    tags = [page.Tag.objects.create(name=n) for n in ("django", "rust", "async")]
    for i in range(25):
        a = page.Article.objects.create(
            title=f"Post {i}", content="c", published=i % 2 == 0, author=author, comment_count=i % 3
        )
        a.tags.set(tags[: i % 3 + 1])
    post = page.BlogPost.objects.create(title="Hello", author=author)
    post.tags.set(tags[:2])
    page.Comment.objects.create(post=post, author=author, text="first")
    page.Comment.objects.create(post=post, author=author, text="second")
    return {"author": author, "post": post}


@pytest.fixture(scope="module")
def client(page, seeded):
    with TestClient(page.APIS, raise_server_exceptions=False) as c:
        yield c


def queries(client, path: str) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(path)
    assert r.status_code == 200, r.text
    return len(ctx.captured_queries), r.json()


def test_iterating_a_queryset(client, page):
    articles = client.get("/articles").json()["articles"]
    assert len(articles) == 13 and all(a["title"].startswith("Post ") for a in articles)


def test_n_plus_one_and_its_cures(client, seeded):
    # The page's BAD example does not make 21 queries: Django refuses the lazy `article.author`
    # load in async code (SynchronousOnlyOperation), in django-bolt as in any async Django view.
    assert client.get("/bad/articles").status_code == 500
    n, joined = queries(client, "/good/articles")
    assert n == 1  # select_related: one query with a JOIN
    assert len(joined["articles"]) == 20 and joined["articles"][0]["author_name"] == "docs-orm-author"
    n, prefetched = queries(client, "/prefetched/articles")
    assert n == 2  # articles + tags
    assert prefetched["articles"][2]["tags"] == ["django", "rust", "async"]


def test_chaining_select_and_prefetch(client, seeded):
    post = seeded["post"]
    n, body = queries(client, f"/posts/{post.id}")
    assert n == 4  # the post with its author, its tags, its comments, their authors
    assert body["author"]["name"] == "docs-orm-author"
    assert [t["name"] for t in body["tags"]] == ["django", "rust"]
    assert [c["text"] for c in body["comments"]] == ["first", "second"]


def test_returning_model_instances_directly_is_a_500(client):
    # As in django-bolt 0.13: a model instance is not JSON without a response type.
    assert client.get("/direct/articles").status_code == 500


def test_a_nested_struct_pagination_and_a_viewset(client, page):
    first = page.Article.objects.order_by("id").first()
    assert client.get(f"/articles/{first.id}").json() == {
        "id": first.id,
        "title": first.title,
        "author": {"id": first.author_id, "username": "docs-orm-author"},
    }
    paged = client.get("/paged/articles?page=2&page_size=5").json()
    assert paged["total"] == 13 and paged["page"] == 2 and paged["pages"] == 3 and len(paged["items"]) == 5
    n, listed = queries(client, "/vs/articles")
    assert n == 2 and len(listed) == 25  # the class-level select_related/prefetch_related applies
    assert client.get(f"/vs/articles/{first.id}").json() == listed[0]


def test_aggregation(client):
    stats = client.get("/stats").json()
    assert stats["total"] == 25 and stats["published"] == 13
    assert stats["avg_comments"] == pytest.approx(sum(i % 3 for i in range(25)) / 25)


def test_basic_methods_and_bulk_operations(client, page):
    page.Article.objects.filter(id__in=list(page.Article.objects.values_list("id", flat=True)[:2])).update(draft=True)
    total = page.Article.objects.count()
    try:
        body = client.get("/basics").json()
        # aget_or_create finds the article acreate made just before; the delete counts the two
        # drafts and their 1 + 2 tag links
        assert body == {"created": False, "total": total + 1, "exists": True, "updated": 2, "deleted": 5}
        assert client.post("/bulk").json() == {"created": 100}
        assert page.Article.objects.filter(title__startswith="Article ").count() == 100
    finally:
        page.Article.objects.filter(title__in=["My Article"] + [f"Article {i}" for i in range(100)]).delete()


def test_a_transaction(client, page):
    a = page.Account.objects.create(balance=10)
    b = page.Account.objects.create(balance=0)
    r = client.post(f"/transfer?from_id={a.id}&to_id={b.id}&amount=2.5")
    assert r.json() == {"success": True}
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.balance, b.balance) == (7.5, 2.5)

"""``from_model`` over Django relations (auth's User/Group/Permission and admin's LogEntry):
a ForeignKey typed as a scalar reads the key without a query, typed as a Serializer builds it;
many-to-many as ``list[int]`` or ``list[Serializer]``; a ``source`` path through a relation.
Rows are made inside a transaction that is rolled back."""

from __future__ import annotations

import pytest
from django.db import transaction

from django_bolt.serializers import Serializer, create_serializer, field


class Rollback(Exception):
    pass


class GroupOut(Serializer):
    id: int
    name: str


class UserOut(Serializer):
    id: int
    username: str
    groups: list[int] = []
    group_objs: list[GroupOut] = field(source="groups", default_factory=list)


class ContentTypeOut(Serializer):
    app_label: str
    model: str


class EntryOut(Serializer):
    id: int
    user: int
    content_type: ContentTypeOut | None = None
    username: str = field(source="user.username", default="")
    object_repr: str


@pytest.fixture
def rows(demo_apis, admin_user):
    from django.contrib.admin.models import LogEntry
    from django.contrib.auth.models import Group, User
    from django.contrib.contenttypes.models import ContentType

    try:
        with transaction.atomic():
            user = User.objects.create(username="ser-rel-user")
            g1, g2 = Group.objects.create(name="ser-a"), Group.objects.create(name="ser-b")
            user.groups.set([g1, g2])
            ct = ContentType.objects.get_for_model(User)
            entry = LogEntry.objects.create(user=user, content_type=ct, object_repr="thing", action_flag=1)
            yield user, (g1, g2), entry
            raise Rollback
    except Rollback:
        pass


def test_many_to_many(rows):
    user, (g1, g2), _ = rows
    out = UserOut.from_model(user)
    assert sorted(out.groups) == sorted([g1.id, g2.id])
    assert sorted((g.id, g.name) for g in out.group_objs) == sorted([(g1.id, "ser-a"), (g2.id, "ser-b")])
    assert out.dump()["group_objs"][0].keys() == {"id", "name"}


def test_foreign_keys(rows):
    from django.contrib.admin.models import LogEntry
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user, _, entry = rows
    fresh = LogEntry.objects.get(pk=entry.pk)
    with CaptureQueriesContext(connection) as q:
        bare = EntryOut.from_model(fresh).user
    assert bare == user.id and len(q) == 2  # content_type and user.username load; the key does not
    full = EntryOut.from_model(LogEntry.objects.select_related("content_type", "user").get(pk=entry.pk))
    assert full.content_type == ContentTypeOut(app_label="auth", model="user")
    assert full.username == "ser-rel-user"


def test_create_serializer_types_relations(rows):
    from django.contrib.admin.models import LogEntry

    S = create_serializer(LogEntry, fields=["id", "user", "content_type", "object_repr", "action_flag"])
    _, _, entry = rows
    s = S.from_model(LogEntry.objects.get(pk=entry.pk))
    assert (s.user, s.object_repr) == (entry.user_id, "thing")
    assert s.content_type == entry.content_type_id


class EntryWithUserGroups(Serializer):
    id: int
    user: UserOut
    content_type: ContentTypeOut


def test_loading_plan_and_from_models_query_count(rows):
    from django.contrib.admin.models import LogEntry
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    assert UserOut.loading_plan(User) == ([], ["groups"])
    assert EntryOut.loading_plan(LogEntry) == (["content_type", "user"], [])
    assert EntryWithUserGroups.loading_plan(LogEntry) == (["user", "content_type"], ["user__groups"])
    user, (g1, g2), entry = rows
    qs = User.objects.filter(username__in=["ser-rel-user", "admin"]).order_by("id")
    with CaptureQueriesContext(connection) as q:
        users = UserOut.from_models(qs)
    assert len(q) == 2  # the users, then every user's groups at once
    mine = next(u for u in users if u.id == user.id)
    assert sorted(mine.groups) == sorted([g1.id, g2.id])
    with CaptureQueriesContext(connection) as q:
        (e,) = EntryWithUserGroups.from_models(LogEntry.objects.filter(pk=entry.pk))
    assert len(q) == 2 and e.user.username == "ser-rel-user" and len(e.user.group_objs) == 2
    # A list is used as given.
    assert [u.id for u in UserOut.from_models(list(qs))] == [u.id for u in users]

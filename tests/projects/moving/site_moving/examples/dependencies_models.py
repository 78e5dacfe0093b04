"""django-bolt 0.13's dependencies page, the examples with its ``Item`` model, run against the
demo's ``people.Person`` (``# model:``). In-process only (tests/compat/docs/test_dependencies.py):
the moving project has no such table. ``get_pagination`` is the page's (dependencies.py).

``await Item.objects.all()[...]`` awaits a QuerySet, a TypeError in Django: the page's
``list_items`` reads its slice with ``async for`` as its ViewSet example does, as dicts (a model
instance is not JSON) (``# changed:``).
"""

from django_bolt import BoltAPI, Depends, ViewSet
from people.models import Person as Item  # model: Item

from .dependencies import Pagination, get_pagination

api = BoltAPI()


@api.get("/items")
async def list_items(pagination: Pagination = Depends(get_pagination)):
    items = [  # changed: `await Item.objects.all()[...]`, and rows as dicts (a model is not JSON)
        item
        async for item in Item.objects.values("id", "name")[
            pagination.offset : pagination.offset + pagination.page_size
        ]
    ]
    return {"page": pagination.page, "items": items}


@api.viewset("/vs/items")  # path: /items
class ItemViewSet(ViewSet):
    queryset = Item.objects.all()

    async def list(self, request, pagination=Depends(get_pagination)) -> list[dict]:
        items = []
        queryset = await self.get_queryset()
        async for item in queryset[pagination.offset : pagination.offset + pagination.page_size]:
            items.append({"id": item.id, "name": item.name})
        return items


APIS = [api]

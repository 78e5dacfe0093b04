"""django-bolt 0.13's OpenAPI page (docs/src/topics/openapi.md), its examples as written.

Where bolt differs: ``import msgspec`` is ``from django_bolt.compat import msgspec``; examples
that reuse one path get their own (``# path:``); ``Item``/``Error``, which the page assumes, are
defined; the ``File`` response class example is left out (``responses.File`` is missing,
docs/compat.md); the docs live at ``/docs`` of this API (the page's default), one UI per plugin.
"""

from django_bolt import BoltAPI
from django_bolt.compat import msgspec
from django_bolt.openapi import OpenAPIConfig, RedocRenderPlugin, SwaggerRenderPlugin
from django_bolt.views import APIView

api = BoltAPI(
    openapi_config=OpenAPIConfig(
        title="My API",
        version="1.0.0",
        description="API for my application",
        render_plugins=[
            SwaggerRenderPlugin(path="/"),  # /docs
            RedocRenderPlugin(path="/redoc"),  # /docs/redoc
        ],
    )
)


@api.get("/users/{user_id}", summary="Get a user", description="Retrieve a user by their unique ID.", tags=["users"])
async def get_user(user_id: int):
    """
    This docstring also appears in the documentation.

    Additional details about the endpoint can go here.
    """
    return {"user_id": user_id}


@api.get("/users", tags=["users"])
async def list_users():
    return []


@api.get("/articles", tags=["articles"])
async def list_articles():
    return []


class User(msgspec.Struct):
    id: int
    username: str
    email: str


@api.get("/models/users/{user_id}", response_model=User)  # path: /users/{user_id}
async def get_model_user(user_id: int):
    return {"id": user_id, "username": "john", "email": "john@example.com"}


class Item(msgspec.Struct):
    id: int
    name: str


class Error(msgspec.Struct):
    detail: str


@api.get("/items/{item_id}", response_model={200: Item, 404: Error})
async def get_item(item_id: int): ...


@api.get("/any/items/{item_id}", response_model={200: Item, ...: Error})  # path: /items/{item_id}
async def get_any_item(item_id: int): ...


class CreateUser(msgspec.Struct):
    username: str
    email: str
    password: str


@api.post("/users")
async def create_user(user: CreateUser):
    return {"id": 1, "username": user.username}


@api.post("/created/users", status_code=201)  # path: /users
async def create_user_created():
    return {"id": 1}


@api.get("/search")
async def search(
    q: str,  # Required query parameter
    page: int = 1,  # Optional with default
    limit: int = 20,  # Optional with default
):
    """
    Search for items.

    - **q**: Search query string (required)
    - **page**: Page number (default: 1)
    - **limit**: Items per page (default: 20)
    """
    return {"query": q, "page": page, "limit": limit}


@api.get("/internal", include_in_schema=False)
async def internal():
    return {"internal": True}


@api.view("/admin", include_in_schema=False)
class AdminView(APIView):
    async def get(self):
        return {}


# Hide a whole sub-API. A route with include_in_schema=True stays visible.
internal_api = BoltAPI(include_in_schema=False)


@internal_api.get("/hidden")
async def hidden():
    return {}


api.mount("/internal", internal_api)

APIS = [api]

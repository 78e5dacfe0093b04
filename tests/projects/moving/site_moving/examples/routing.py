"""django-bolt 0.13's routing page (docs/src/topics/routing.md), its examples as written.

Where bolt differs: the QUERY method example (``@api.query``) is left out (not routed here, see
docs/compat.md); examples that reuse one path in the page get their own path here, so that one
API holds them all (marked ``# path:``); ``UserSchema`` is defined (the page assumes one).
"""

from django_bolt import BoltAPI, Struct

api = BoltAPI()


@api.get("/users")
async def list_users():
    return {"users": []}


@api.post("/users")
async def create_user():
    return {"created": True}


@api.get("/items")
async def list_items():
    return {"items": []}


@api.post("/items")
async def create_item():
    return {"created": True}


@api.put("/items/{item_id}")
async def replace_item(item_id: int):
    return {"replaced": True}


@api.patch("/items/{item_id}")
async def update_item(item_id: int):
    return {"updated": True}


@api.delete("/items/{item_id}")
async def delete_item(item_id: int):
    return {"deleted": True}


@api.head("/items")
async def head_items():
    return {}  # Body not sent for HEAD


@api.options("/items")
async def options_items():
    from django_bolt import Response

    return Response({}, headers={"Allow": "GET, POST, PUT, PATCH, DELETE"})


@api.get("/users/{user_id}")
async def get_user(user_id: int):
    return {"user_id": user_id}


@api.get("/posts/{post_id}/comments/{comment_id}")
async def get_comment(post_id: int, comment_id: int):
    return {"post_id": post_id, "comment_id": comment_id}


class UserSchema(Struct):
    user_id: int


@api.get(
    "/options/users/{user_id}",  # path: /users/{user_id} in the page
    status_code=200,  # Default response status code
    summary="Get user",  # Short description for OpenAPI
    description="Get a user by ID",  # Detailed description
    tags=["users"],  # OpenAPI tags for grouping
    response_model=UserSchema,  # Response validation schema
)
async def get_user_with_options(user_id: int):
    """This docstring also appears in OpenAPI docs."""
    return {"user_id": user_id}


@api.get("/missions/{mission_id}", name="mission-detail")
async def get_mission(mission_id: int):
    return {"id": mission_id}


@api.get("/sync")
def sync_handler():
    return {"sync": True}


# "Trailing slash handling": the default mode strips, append mode adds.
@api.get("/strip/users/")  # Registered as /strip/users (path: /users/ in the page)
async def list_users_stripped():
    return []


slashed = BoltAPI(trailing_slash="append")


@slashed.get("/append/users")  # Registered as /append/users/ (path: /users in the page)
async def list_users_appended():
    return []


# "Multiple API instances": users/api.py mounted under /api/v1 by the project's api.py.
users_api = BoltAPI()


@users_api.get("/users")
async def list_mounted_users():
    return {"users": []}


root = BoltAPI()
root.mount("/api/v1", users_api)

#: Every API of this page, as a project would have them discovered.
APIS = [api, slashed, root]

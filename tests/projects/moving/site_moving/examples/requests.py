"""django-bolt 0.13's request page (docs/src/topics/requests.md), its examples as written.

Where bolt differs: ``import msgspec`` is ``from django_bolt.compat import msgspec`` (msgspec
cannot load in the server's sub-interpreters; docs/compat.md); examples that reuse one path get
their own path (marked ``# path:``); the session and Django-login examples are in the middleware
tests (tests/middleware/test_docs_examples.py), the ``FileField`` ones need a model and are left out.
"""

from typing import Annotated, NewType

from django_bolt import BoltAPI, Depends, FileSize, Request, UploadFile
from django_bolt.compat import msgspec
from django_bolt.param_functions import Cookie, File, Form, Header, Query
from django_bolt.serializers import Serializer, field_validator

api = BoltAPI()


@api.get("/info")
async def request_info(request):
    return {
        "method": request.get("method"),
        "path": request.get("path"),
    }


@api.get("/users/{user_id}/posts/{post_id}")
async def get_post(user_id: int, post_id: int):
    return {"user_id": user_id, "post_id": post_id}


@api.get("/params/users/{user_id}")  # path: /users/{user_id}
async def get_user(request: Request):
    return {"user_id": request.params["user_id"]}


@api.get("/search")
async def search(
    q: str,  # Required
    page: int = 1,  # Optional with default
    limit: int = 20,  # Optional with default
    sort: str | None = None,  # Optional, None if not provided
):
    return {"q": q, "page": page, "limit": limit, "sort": sort}


@api.get("/items")
async def items(tag: Annotated[list[int], Query()]):  # bolt: set[int] is refused (docs/compat.md)
    # /items?tag=1&tag=2&tag=1 gives {1, 2}
    return {"tags": sorted(set(tag))}


@api.get("/articles")
async def articles(
    page: Annotated[int, msgspec.Meta(ge=1)] = 1,
    code: Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$"), Query()] = "ABC",
):
    return {"page": page, "code": code}


@api.get("/search2")  # path: /search
async def search2(
    name: str = Query(min_length=3, description="The name to find"),
    category: str = Query(default="all"),
    page: Annotated[int, Query(ge=1)] = 1,
):
    return {"name": name, "category": category, "page": page}


UserId = NewType("UserId", int)
type Page = int


@api.get("/typed/users/{user_id}")  # path: /users/{user_id}
async def user(user_id: UserId, page: Page = 1):
    return {"user_id": user_id, "page": page}


class CreateUser(msgspec.Struct):
    username: str
    email: str
    age: int | None = None


@api.post("/users")
async def create_user(user: CreateUser):
    return {"username": user.username}


@api.post("/raw")
async def raw_body(request):
    body = request.get("body", b"")
    return {"size": len(body)}


@api.get("/auth")
async def check_auth(authorization: Annotated[str, Header(alias="Authorization")]):
    return {"auth": authorization}


@api.get("/optional-header")
async def optional_header(custom: Annotated[str | None, Header(alias="X-Custom")] = None):
    return {"custom": custom}


@api.get("/page-size")  # path: /items
async def list_items(x_page_size: Annotated[int, Header()] = 20):
    return {"page_size": x_page_size}


@api.get("/headers")
async def all_headers(request):
    headers = request.get("headers", {})
    return {"headers": dict(headers)}


@api.get("/session")
async def get_session(session_id: Annotated[str, Cookie(alias="sessionid")]):
    return {"session_id": session_id}


@api.get("/feed")
async def feed(page: Annotated[int, Cookie()] = 1):
    return {"page": page}


@api.post("/login")
async def login(username: Annotated[str, Form()], password: Annotated[str, Form()]):
    return {"username": username}


@api.post("/profile")
async def update_profile(name: Annotated[str, Form()], bio: Annotated[str, Form()] = ""):
    return {"name": name, "bio": bio}


class LoginForm(msgspec.Struct):
    username: str
    password: str
    remember_me: bool = False


@api.post("/login-form")  # path: /login
async def login_form(form: Annotated[LoginForm, Form()]):
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


class FilterParams(msgspec.Struct):
    limit: int = 10
    offset: int = 0
    search: str | None = None
    sort_by: str = "created_at"


@api.get("/filtered")  # path: /items
async def list_filtered(params: Annotated[FilterParams, Query()]):
    return {"limit": params.limit, "offset": params.offset, "search": params.search}


class AuthHeaders(msgspec.Struct):
    x_api_key: str  # maps to X-Api-Key header
    x_request_id: str | None = None  # maps to X-Request-Id header


@api.get("/secure")
async def secure_endpoint(headers: Annotated[AuthHeaders, Header()]):
    return {"api_key": headers.x_api_key}


class SessionCookies(msgspec.Struct):
    session_id: str
    theme: str = "light"
    language: str = "en"


@api.get("/preferences")
async def get_preferences(cookies: Annotated[SessionCookies, Cookie()]):
    return {"theme": cookies.theme, "language": cookies.language}


@api.post("/upload")
async def upload(file: Annotated[UploadFile, File()]):
    content = await file.read()
    return {"filename": file.filename, "size": file.size, "content_type": file.content_type, "read": len(content)}


@api.post("/upload-checked")  # path: /upload
async def upload_checked(
    file: Annotated[
        UploadFile,
        File(
            max_size=FileSize.MB_10,  # Maximum 10MB
            min_size=1024,  # Minimum 1KB
            allowed_types=["image/*", "application/pdf"],  # MIME types (wildcards supported)
        ),
    ],
):
    return {"filename": file.filename}


@api.post("/upload-multiple")
async def upload_multiple(
    files: Annotated[
        list[UploadFile],
        File(
            max_files=5,  # Maximum 5 files
            max_size=FileSize.MB_5,  # 5MB per file
        ),
    ],
):
    return {"count": len(files), "filenames": [f.filename for f in files]}


@api.post("/submit")
async def submit(
    title: Annotated[str, Form()],
    description: Annotated[str, Form()],
    attachment: Annotated[UploadFile, File()] = None,
):
    return {"title": title, "has_attachment": attachment is not None}


async def get_pagination(page: int = 1, limit: int = 20):
    return {"page": page, "limit": limit, "offset": (page - 1) * limit}


@api.get("/paged")  # path: /items
async def paged(pagination=Depends(get_pagination)):
    return {"pagination": pagination}


APIS = [api]

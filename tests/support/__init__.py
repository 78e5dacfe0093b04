"""What the black-box tests share, one copy of each (the test files only hold tests):

* ``paths``     where things are: the repository, ``examples/demo``, ``tests/projects``, ``tests/artifacts``
* ``boltproc``  start and stop a real ``bolt`` (``BoltProcess``), wait for its output, the drivers under test
* ``wire``      raw HTTP/1.1 over TCP: requests, strict response parsing, form and multipart bodies
* ``projects``  the demo's ``setup.sh`` and ``manage.py``, copies of the demo and of ``tests/projects``
* ``wait``      polling until something holds
* ``session``   a cookie-keeping client logged in to the Django admin
* ``tokens``    JWTs signed with the demo's secret key
* ``errors``    FastAPI/pydantic-shaped validation errors, compared in any order
* ``pg``        a throwaway PostgreSQL (the ``postgres`` fixture)
* ``nouring``   a script: runs a command with io_uring refused by seccomp
* ``procstat``  what /proc says of the server (its RSS)
* ``netns``     network namespaces: a private LAN (hub + hosts), entered per thread
* ``nginx``     a throwaway nginx in front of a bolt (its own prefix, logs and port; ``deploy/nginx.conf``)
* ``multihost`` two bolt hosts behind nginx sharing PostgreSQL and Redis on that LAN (the ``cluster`` fixture)

The fixtures (``server``, ``server2``, ``driver``, ``demo_db``, ``postgres``, ``admin_user``) are in
``tests/conftest.py``; ``pytest.ini`` puts ``tests/`` on the path, so ``from support.wire import fetch``.
"""

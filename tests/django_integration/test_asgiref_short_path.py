"""bolt's short path through asgiref's SyncToAsync (pyext/django_bolt/_asgiref.py) builds the
same wrappers as asgiref and refuses the same callables; its call semantics are tested against
the server in test_async_orm.py (context copied back, async_to_sync inside, except blocks)."""

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import functools, inspect
    from asgiref.sync import SyncToAsync

    class Q:
        def method(self, a=1):
            "doc"
        async def amethod(self):
            pass
        def __call__(self):
            pass

    def plain(x):
        return x

    def with_dict():
        pass
    with_dict.extra = 1

    q = Q()
    cases = [q.method, plain, functools.partial(plain, 1), q, with_dict, len]

    def build(f):
        try:
            w = SyncToAsync(f)
        except TypeError as e:
            return ("TypeError", str(e))
        state = {k: v for k, v in vars(w).items()}
        return (sorted(state), {k: state[k] for k in state if k != "_is_coroutine_marker"},
                inspect.iscoroutinefunction(w))

    before = [build(f) for f in cases] + [build(q.amethod)]
    from django_bolt import _asgiref, _threads
    assert _asgiref.install(_threads.SyncThread)
    after = [build(f) for f in cases] + [build(q.amethod)]
    assert before == after, (before, after)
    assert after[-1][0] == "TypeError"
    print("same")
""")


def test_short_path_builds_the_same_wrappers_as_asgiref():
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "same"

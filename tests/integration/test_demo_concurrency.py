"""Two instances loading the demo into one empty database at once (``serve --demo-if-empty`` twice)."""

from __future__ import annotations

import threading

from sqlalchemy import text

from plantao.demo import load_demo


def test_two_demo_loads_at_once_make_one_demo_and_neither_fails(settings, clean_engine, plugins):
    results: list = [None, None]
    start = threading.Barrier(2)

    def load(number: int) -> None:
        start.wait()
        try:
            results[number] = load_demo(settings, clean_engine, plugins, only_if_empty=True)
        except Exception as error:  # reported by the assertion below
            results[number] = error

    threads = [threading.Thread(target=load, args=(n,)) for n in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sorted(results, key=repr) == [False, True], results
    with clean_engine.connect() as connection:
        assert connection.execute(text("SELECT slug FROM teams")).scalars().all() == ["demo"]
        assert connection.scalar(text("SELECT count(*) FROM people")) == 4
        assert connection.scalar(text("SELECT count(*) FROM rotations")) == 1

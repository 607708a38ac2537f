"""waitress' "Task queue depth" warning, at most once a minute (plantao/server_log.py)."""

from __future__ import annotations

import logging

import pytest
from waitress.task import ThreadedTaskDispatcher

from plantao import cli
from plantao.server_log import QUEUE_LOGGER, QueueDepthThrottle, throttle_queue_warnings


class FakeClock:
    """Seconds that move only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def queue_record(depth: int) -> logging.LogRecord:
    """The record waitress/task.py logs when a request waits for a thread."""
    return logging.LogRecord(QUEUE_LOGGER, logging.WARNING, "task.py", 113, "Task queue depth is %d", (depth,), None)


@pytest.fixture
def queue_logger():
    """waitress' queue logger, given back without the filters a test installs."""
    logger = logging.getLogger(QUEUE_LOGGER)
    filters = list(logger.filters)
    yield logger
    logger.filters[:] = filters


def test_the_first_warning_passes_with_its_depth():
    throttle = QueueDepthThrottle(clock=FakeClock())
    record = queue_record(7)
    assert throttle.filter(record)
    assert record.getMessage() == (
        "Task queue depth is 7 (requests waiting for a free thread); 0 such warning(s) held back since the last one "
        "(logged at most once every 60 s)"
    )


def test_one_warning_a_minute_passes_saying_how_many_were_held_back():
    clock = FakeClock()
    throttle = QueueDepthThrottle(clock=clock)
    assert throttle.filter(queue_record(1))
    passed = []
    for second in range(1, 60):
        clock.now += 1
        record = queue_record(second + 1)
        if throttle.filter(record):
            passed.append(record)
    assert passed == []

    clock.now += 1  # a minute after the first one
    record = queue_record(42)
    assert throttle.filter(record)
    assert record.getMessage().startswith("Task queue depth is 42 (requests waiting for a free thread); 59 such ")

    clock.now += 30
    assert not throttle.filter(queue_record(3))
    clock.now += 3600  # a quiet hour: the next one passes and counts the one held back
    record = queue_record(2)
    assert throttle.filter(record)
    assert "Task queue depth is 2 " in record.getMessage() and "; 1 such warning(s)" in record.getMessage()


def test_other_records_on_the_queue_logger_pass_untouched():
    throttle = QueueDepthThrottle(clock=FakeClock())
    assert throttle.filter(queue_record(1))
    other = logging.LogRecord(QUEUE_LOGGER, logging.WARNING, "task.py", 1, "Something else: %s", ("x",), None)
    assert throttle.filter(other)
    assert other.getMessage() == "Something else: x"


def test_waitress_own_warnings_are_throttled(queue_logger, caplog):
    """The real dispatcher, with no thread to run tasks: every task queued warns."""
    clock = FakeClock()
    queue_logger.addFilter(QueueDepthThrottle(clock=clock))
    dispatcher = ThreadedTaskDispatcher()
    with caplog.at_level(logging.WARNING, logger=QUEUE_LOGGER):
        for _ in range(1000):
            dispatcher.add_task(object())
        clock.now += 61
        dispatcher.add_task(object())
    messages = [record.getMessage() for record in caplog.records if record.name == QUEUE_LOGGER]
    assert len(messages) == 2
    assert messages[0].startswith("Task queue depth is 1 ") and "; 0 such" in messages[0]
    assert messages[1].startswith("Task queue depth is 1001 ") and "; 999 such" in messages[1]


def test_installing_twice_keeps_one_throttle(queue_logger):
    first = throttle_queue_warnings()
    assert throttle_queue_warnings() is first
    assert sum(isinstance(f, QueueDepthThrottle) for f in queue_logger.filters) == 1


@pytest.fixture
def logging_left_as_found(queue_logger):
    """main() configures logging for the process: put back what it changes."""
    alembic = logging.getLogger("alembic")
    level = alembic.level
    yield queue_logger
    alembic.setLevel(level)


def test_serve_installs_the_throttle_before_it_serves(logging_left_as_found, monkeypatch):
    """`plantao serve` up to the point where it would migrate and bind a port."""
    seen = []

    def serve(args):
        seen.append([f for f in logging_left_as_found.filters if isinstance(f, QueueDepthThrottle)])
        return 0

    logging_left_as_found.filters[:] = [f for f in logging_left_as_found.filters
                                        if not isinstance(f, QueueDepthThrottle)]
    monkeypatch.setattr(cli, "cmd_serve", serve)
    assert cli.main(["serve"]) == 0
    assert len(seen) == 1 and len(seen[0]) == 1
    assert seen[0][0].interval == 60


def test_other_commands_leave_waitress_logging_alone(logging_left_as_found, monkeypatch):
    logging_left_as_found.filters[:] = [f for f in logging_left_as_found.filters
                                        if not isinstance(f, QueueDepthThrottle)]
    monkeypatch.setattr(cli, "cmd_plugins", lambda args: 0)
    assert cli.main(["plugins"]) == 0
    assert not any(isinstance(f, QueueDepthThrottle) for f in logging_left_as_found.filters)

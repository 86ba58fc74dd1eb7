"""seed_demo's progress bar: rate and time left on a long run at a terminal; silent in tests, pipes and short runs."""

import io

from returns_desk.demo.shop import progress as module


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_long_run_at_a_terminal_shows_done_rate_and_time_left(monkeypatch):
    screen = Terminal()
    monkeypatch.setattr(module.sys, "stderr", screen)
    with module.progress(total=10_000, what="returns written") as bar:
        bar.update(2_500)
    shown = screen.getvalue()
    assert "returns written" in shown and "2.50k/10.0k" in shown and "returns/s" in shown and "<" in shown


def test_short_runs_and_pipes_stay_quiet(monkeypatch):
    pipe = io.StringIO()
    monkeypatch.setattr(module.sys, "stderr", pipe)
    with module.progress(total=10_000, what="returns written") as bar:
        bar.update(10_000)
    screen = Terminal()
    monkeypatch.setattr(module.sys, "stderr", screen)
    with module.progress(total=100, what="returns written") as bar:
        bar.update(100)
    assert pipe.getvalue() == "" and screen.getvalue() == ""

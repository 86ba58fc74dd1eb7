"""A progress bar for long seeding runs: how many done, the rate, and the time left (tqdm, on stderr).

Shown only when stderr is a terminal and the run is long enough to wait for; tests and piped runs stay quiet.
"""

import sys

from tqdm import tqdm

SHOWN_FROM = 2_000  # shorter runs finish before a bar would say anything useful


def progress(*, total: int, what: str) -> tqdm:
    quiet = total < SHOWN_FROM or not sys.stderr.isatty()
    return tqdm(total=total, desc=what, unit=" returns", unit_scale=True, disable=quiet, file=sys.stderr)

"""What a user sees while a loop runs: a tqdm bar with rate and ETA on a terminal, and a line
every ``print_freq`` steps always."""

import datetime
import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any

from tqdm import tqdm


class Progress:
    """Iterate ``iterable`` (a DataLoader) with a progress bar and periodic metric lines.

    The bar is drawn on stderr only when it is a terminal; the lines go to stdout every
    ``print_freq`` steps and at the last step, from the main process only (``enabled``).
    Call :meth:`log` after each step with the values to show.

    Args:
        iterable: the steps, with a length.
        header: the start of every line, e.g. ``"epoch 2/10"``.
        print_freq: steps between two lines (0: only the last step).
        enabled: False on the processes other than rank 0.
    """

    def __init__(self, iterable: Iterable, header: str, print_freq: int, enabled: bool) -> None:
        self.iterable = iterable
        self.header = header
        self.print_freq = print_freq
        self.enabled = enabled
        self.total = len(iterable)  # type: ignore[arg-type]
        self.start = time.perf_counter()
        self._bar: tqdm | None = None

    def __iter__(self) -> Iterator[Any]:
        self.start = time.perf_counter()
        show_bar = self.enabled and sys.stderr.isatty()
        with tqdm(
            self.iterable, total=self.total, desc=self.header, disable=not show_bar, leave=False
        ) as bar:
            self._bar = bar
            yield from bar
        self._bar = None

    def log(self, step: int, values: dict[str, float]) -> None:
        """Show ``values`` for ``step`` (1-based) on the bar, and print them as a line when
        ``step`` is a multiple of ``print_freq`` or the last one."""
        if not self.enabled:
            return
        text = "  ".join(f"{name} {value:.4g}" for name, value in values.items())
        if self._bar is not None and not self._bar.disable:
            self._bar.set_postfix_str(text, refresh=False)
        due = self.print_freq > 0 and step % self.print_freq == 0
        if not due and step != self.total:
            return
        elapsed = time.perf_counter() - self.start
        rate = step / elapsed if elapsed > 0 else 0.0
        eta = datetime.timedelta(seconds=round((self.total - step) / rate)) if rate else "?"
        line = f"{self.header} [{step}/{self.total}]  {text}  {rate:.2f} it/s  eta {eta}"
        (tqdm.write if self._bar is not None and not self._bar.disable else _print)(line)


def _print(line: str) -> None:
    print(line, flush=True)

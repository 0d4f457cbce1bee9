"""A progress receiver that records every call, and the checks every long step must pass."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Recorder:
    """Records ``(step, done, total)`` calls in order."""

    calls: list[tuple[str, int, int | None]] = field(default_factory=list)

    def __call__(self, step: str, done: int, total: int | None) -> None:
        self.calls.append((step, done, total))

    def steps(self) -> list[str]:
        """The steps in the order they started."""
        return list(dict.fromkeys(step for step, _, _ in self.calls))

    def assert_well_formed(self) -> None:
        """Each step runs once, its count never goes back, and it ends at a known total.

        A step's calls are contiguous (a step that started again would redraw a
        finished bar), ``done`` never decreases nor passes a known ``total``, a known
        ``total`` never changes, and the last call says all of the total is done.
        """
        assert self.calls, "no progress was reported"
        order = [
            step
            for index, (step, _, _) in enumerate(self.calls)
            if index == 0 or self.calls[index - 1][0] != step
        ]
        assert len(order) == len(set(order)), f"a step started twice: {order}"
        for step in order:
            calls = [(done, total) for name, done, total in self.calls if name == step]
            dones = [done for done, _ in calls]
            assert dones == sorted(dones), f"{step}: progress went back: {dones}"
            totals = {total for _, total in calls if total is not None}
            assert len(totals) == 1, f"{step}: the total changed or was never known: {totals}"
            (total,) = totals
            assert all(0 <= done <= total for done in dones), f"{step}: {calls}"
            assert calls[-1] == (total, total), f"{step} ends at {calls[-1]}, not done"

"""How a replayed interaction is scored against what Azure answered: the exact status code; the JSON key paths
Azure sent that the emulator lacks (values, ids, timestamps and etags aside); the error code of a 4xx; the
long-running operation's monitor headers and final outcome. Totals per cassette and overall."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Children of these keys are the user's own names (tags, identities, metadata), not the schema's.
USER_MAPS = {"tags", "userassignedidentities", "metadata", "outputs"}
# etags are opaque: their presence follows the service's version, not the resource's shape.
IGNORED_KEYS = {"etag"}


def key_paths(value: Any, prefix: str = "") -> set[str]:
    """The JSON key paths of a body; list items merge into `[]`."""
    paths: set[str] = set()
    if isinstance(value, dict):
        for key, child in value.items():
            if key.lower() in IGNORED_KEYS:
                continue
            path = f"{prefix}.{key}" if prefix else key
            paths.add(path)
            if key.lower() not in USER_MAPS:
                paths |= key_paths(child, path)
    elif isinstance(value, list):
        for item in value:
            paths |= key_paths(item, f"{prefix}[]")
    return paths


def error_code(body: Any) -> str | None:
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        code = body["error"].get("code")
        return str(code) if code is not None else None
    return None


@dataclass
class Scored:
    """One replayed interaction."""

    cassette: str
    index: int
    method: str
    path: str
    recorded_status: int
    emulator_status: int
    missing_keys: list[str] = field(default_factory=list)
    json_answer: bool = False  # Azure answered 2xx with a JSON object
    recorded_error: str | None = None
    emulator_error: str | None = None
    lro: bool = False
    lro_headers_ok: bool = True
    lro_headers: str = ""
    lro_outcome_ok: bool = True
    lro_outcome: str = ""

    @property
    def status_exact(self) -> bool:
        return self.recorded_status == self.emulator_status

    @property
    def key_complete(self) -> bool:
        return self.json_answer and not self.missing_keys and 200 <= self.emulator_status < 300

    @property
    def refused(self) -> bool:
        """Azure accepted it, the emulator refused it."""
        return 200 <= self.recorded_status < 300 and self.emulator_status >= 400

    @property
    def error_ok(self) -> bool:
        return self.recorded_status < 400 or self.recorded_error == self.emulator_error

    def problems(self) -> list[str]:
        found = []
        if not self.status_exact:
            found.append(f"status {self.emulator_status} (Azure {self.recorded_status})"
                         + (f" {self.emulator_error}" if self.emulator_error else ""))
        if not self.error_ok:
            found.append(f"error code {self.emulator_error} (Azure {self.recorded_error})")
        if self.missing_keys:
            found.append(f"{len(self.missing_keys)} keys missing: {', '.join(self.missing_keys[:12])}"
                         + (" ..." if len(self.missing_keys) > 12 else ""))
        if not self.lro_headers_ok:
            found.append(f"LRO headers {self.lro_headers}")
        if not self.lro_outcome_ok:
            found.append(f"LRO outcome {self.lro_outcome}")
        return found


@dataclass
class Totals:
    name: str
    scored: list[Scored] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    polls_replaced: int = 0

    def add(self, other: Totals) -> None:
        self.scored += other.scored
        self.polls_replaced += other.polls_replaced
        for reason, count in other.skipped.items():
            self.skipped[reason] = self.skipped.get(reason, 0) + count

    @property
    def replayed(self) -> int:
        return len(self.scored)

    @property
    def status_exact(self) -> int:
        return sum(s.status_exact for s in self.scored)

    @property
    def json_answers(self) -> int:
        return sum(s.json_answer for s in self.scored)

    @property
    def key_complete(self) -> int:
        return sum(s.key_complete for s in self.scored)

    @property
    def missing_keys(self) -> int:
        return sum(len(s.missing_keys) for s in self.scored if s.json_answer)

    @property
    def errors(self) -> int:
        return sum(s.recorded_status >= 400 for s in self.scored)

    @property
    def errors_ok(self) -> int:
        return sum(s.recorded_status >= 400 and s.error_ok for s in self.scored)

    @property
    def lros(self) -> int:
        return sum(s.lro for s in self.scored)

    @property
    def lro_headers_ok(self) -> int:
        return sum(s.lro and s.lro_headers_ok for s in self.scored)

    @property
    def lro_outcomes_ok(self) -> int:
        return sum(s.lro and s.lro_outcome_ok for s in self.scored)

    @property
    def refused(self) -> int:
        return sum(s.refused for s in self.scored)

    def ratio(self, part: int, whole: int) -> float:
        return 100.0 * part / whole if whole else 100.0

    @property
    def status_pct(self) -> float:
        return self.ratio(self.status_exact, self.replayed)

    @property
    def keys_pct(self) -> float:
        return self.ratio(self.key_complete, self.json_answers)


HEADER = (f"{'cassette':<50} {'replayed':>8} {'status':>13} {'key-complete':>13} {'miss/ans':>8} "
          f"{'4xx code':>8} {'LRO hdr':>8} {'LRO end':>8} {'refused':>7} {'skipped':>7}")


def row(totals: Totals) -> str:
    miss = totals.missing_keys / totals.json_answers if totals.json_answers else 0.0
    return (f"{totals.name:<50} {totals.replayed:>8} "
            f"{totals.status_exact:>4} {totals.status_pct:5.1f} % "
            f"{totals.key_complete:>4} {totals.keys_pct:5.1f} % {miss:>8.1f} "
            f"{totals.errors_ok:>3}/{totals.errors:<4} {totals.lro_headers_ok:>3}/{totals.lros:<4} "
            f"{totals.lro_outcomes_ok:>3}/{totals.lros:<4} {totals.refused:>7} {sum(totals.skipped.values()):>7}")


def table(per_cassette: list[Totals]) -> tuple[str, Totals]:
    total = Totals("TOTAL")
    lines = [HEADER, "-" * len(HEADER)]
    for totals in per_cassette:
        lines.append(row(totals))
        total.add(totals)
    lines += ["-" * len(HEADER), row(total)]
    if total.skipped:
        lines.append("skipped (not replayed): " + "; ".join(f"{n} {r}" for r, n in sorted(total.skipped.items())))
    lines.append(f"LRO polls: {total.polls_replaced} recorded polls replaced by polls of the emulator's own URLs")
    return "\n".join(lines), total

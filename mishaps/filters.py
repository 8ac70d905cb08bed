"""The filters every query command shares, as one value. Pure: no database imports."""

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Filters:
    """What `list`, `export`, `stats` and the reports select. None means "any"."""

    aircraft: str | None = None
    role: str | None = None
    cause: str | None = None
    category: str | None = None
    hfacs: str | None = None
    mishap_class: str | None = None
    fiscal_year: int | None = None
    since: str | None = None
    until: str | None = None
    service: str | None = None
    method: str | None = None
    phase: str | None = None
    mechanism: str | None = None
    status: str | None = None
    search: str | None = None
    limit: int | None = None

    def is_empty(self) -> bool:
        return all(getattr(self, f.name) is None for f in fields(self))

    def describe(self) -> list[tuple[str, str]]:
        """The filters in words, for report title pages: (label, value) pairs."""
        labels = {
            "aircraft": "Aircraft type",
            "role": "Aircraft role",
            "cause": "Cause mentions",
            "category": "Occurrence category",
            "hfacs": "HFACS code",
            "mishap_class": "Mishap class (stated, else derived)",
            "fiscal_year": "Fiscal year",
            "since": "On or after",
            "until": "On or before",
            "service": "Service",
            "method": "Refuelling method",
            "phase": "Refuelling phase",
            "mechanism": "Refuelling mechanism",
            "status": "Information status",
            "search": "Full text",
            "limit": "At most",
        }
        return [
            (labels[f.name], f"FY{v}" if f.name == "fiscal_year" else str(v))
            for f in fields(self)
            if (v := getattr(self, f.name)) is not None
        ]

    def as_options(self) -> list[str]:
        """The filters as command-line options, in a stable order."""
        out: list[str] = []
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None:
                name = {"mishap_class": "class", "fiscal_year": "fy"}.get(f.name, f.name)
                out += [f"--{name}", str(value)]
        return out

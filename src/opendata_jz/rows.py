"""Hand each resource of a package to the engine when it can read it, and resolve foreign
keys between the resources it reads."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pyarrow as pa

from .arrays import array
from .cells import Unsupported
from .engine import FileFacts, Scan, ineligible, scan
from .frictionless_checks import drop_repeated_faults, opened_header
from .keys import KeyCheck, offered
from .package import OpenedPackage
from .pandera_checks import ChunkChecks
from .rules import declared_rules


class EngineRun:
    """The engine's reads over one package: their scans and their pandera issues."""

    def __init__(
        self,
        package: OpenedPackage,
        frictionless_package: Any,
        facts: dict[str, FileFacts] | None = None,
    ) -> None:
        self.package = package
        self.frictionless_package = frictionless_package
        self.facts = facts or {}
        self.scans: dict[str, Scan] = {}
        self.chunked: list = []
        # Declared rules compare whole tables; their resources stay on the pandas path.
        self.bound = set()
        for rule in declared_rules(package.descriptor):
            self.bound |= {rule.resource, str(rule.params.get("reference", rule.resource))}

    def try_scan(self, fresource: Any) -> list | None:
        """The frictionless-layer issues of a resource the engine read, or None if it did
        not (frictionless must then validate it)."""
        name = fresource.name
        if name in self.bound or name in self.scans:
            return None
        try:
            resource = self.package.resource(name)
        except KeyError:
            return None
        path = self.package.local_path(resource)
        opened = opened_header(fresource)
        if opened is None:
            return None
        try:
            if ineligible(opened, resource, path) is not None:
                return None
            control = opened.dialect.get_control("csv")
        finally:
            opened.close()
        chunks = ChunkChecks(resource, str(resource.get("path")))
        try:
            lookup = self._lookup(name)
            result = scan(fresource, resource, path, control, chunks, lookup, self.facts.get(name))
            self.chunked.extend(chunks.finish())
        except Unsupported:
            return None
        self.scans[name] = result
        return drop_repeated_faults(result.issues)

    def _lookup(self, name: str):
        def for_keys(keys: KeyCheck):
            def allowed(key: dict) -> Any:
                reference = key["reference"]
                target = reference.get("resource") or name
                fields = [str(f) for f in reference["fields"]]
                if target == name and set(fields) <= set(keys.names):
                    return keys.key_values(fields)
                done = self.scans.get(target)
                if done is not None and set(fields) <= set(done.keys.names):
                    return done.keys.key_values(fields)
                return self._read_with_frictionless(target, fields)

            return allowed

        return for_keys

    def _read_with_frictionless(self, target: str, fields: list[str]) -> Any:
        """The key values of a resource as frictionless reads them for a lookup."""
        from frictionless import FrictionlessException

        try:
            source = self.frictionless_package.get_resource(target).to_copy()
            if source.schema:
                source.schema.foreign_keys = []
            values = set()
            with source:
                for row in source.row_stream:
                    cells = tuple(_comparable(row.get(f)) for f in fields)
                    if set(cells) != {None}:
                        values.add(cells)
        except FrictionlessException as error:
            raise Unsupported(f"cannot read {target!r} for a foreign key") from error
        if len(fields) == 1:
            return _as_array({v[0] for v in values}) or values
        return values


def _comparable(value: Any) -> Any:
    """A cast value as the engine holds it (decimals as floats, where exact)."""
    if isinstance(value, Decimal):
        if not value.is_finite() or len(value.normalize().as_tuple().digits) > 15:
            raise Unsupported("a foreign-key target Arrow cannot hold exactly")
        return float(value) + 0.0
    return value


_ARROW_TYPES = {str: pa.string(), int: pa.int64(), float: pa.float64(), date: pa.date32()}


def _as_array(values: set) -> pa.Array | None:
    kinds = {type(v) for v in values}
    if len(kinds) > 1 or kinds & {bool}:
        return None
    if not values:
        return array([], pa.string())
    arrow_type = _ARROW_TYPES.get(kinds.pop())
    try:
        column = array(sorted(values), arrow_type) if arrow_type else pa.array(sorted(values))
        return offered([column])
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError):
        return None

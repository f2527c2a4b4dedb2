"""Logger keys: `<section>.loggers.<logger name>` holds a log level."""

from __future__ import annotations

from midonet.config.valuetype import LOG_LEVEL, KeySpec, key


def loggers(section: str, fixed: dict[str, str], derived: dict[str, str]) -> list[KeySpec]:
    """`<section>.loggers.*`: the root level, fixed loggers, loggers following root."""
    root = f"{section}.loggers.root"
    keys = [key(root, LOG_LEVEL, "INFO", "Level of the root logger.")]
    keys += [
        key(f"{section}.loggers.{name}", LOG_LEVEL, level, f"Level of the {name} logger.")
        for name, level in fixed.items()
    ]
    keys += [
        key(f"{section}.loggers.{name}", LOG_LEVEL, "INFO", f"Logger for {what}.",
            default_from=root)
        for name, what in derived.items()
    ]  # fmt: skip
    return keys

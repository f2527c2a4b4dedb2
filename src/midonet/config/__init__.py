"""MidoNet configuration: the data behind `mn-conf`.

- `hocon`: `parse`/`loads` HOCON text; `hocon_writer.dumps` writes it back.
- `schema`: `SCHEMA`, every key with type, default and documentation; `validate`.
- `layer`: `ConfigLayer` (one source of values, plain data for the store) and
  `Config` (layers over schema defaults: typed values and their origin).
- `bootstrap`: the local INI files and environment read before the NSDB.
- `template`: the sizing templates MidoNet ships.
"""

from midonet.config.bootstrap import bootstrap_config, local_layers, parse_ini, read_ini
from midonet.config.duration import Duration
from midonet.config.hocon import Document, HoconSyntaxError, loads, parse
from midonet.config.hocon_writer import dumps
from midonet.config.layer import (
    SCHEMA_LAYER,
    Config,
    ConfigLayer,
    Setting,
    host_layer,
    template_layer,
)
from midonet.config.schema import SCHEMA, InvalidConfig, InvalidValue, Schema, UnknownKey
from midonet.config.template import BUILTIN_TEMPLATES, builtin_template
from midonet.config.valuetype import KeySpec, TypedValue

__all__ = [
    "BUILTIN_TEMPLATES",
    "SCHEMA",
    "SCHEMA_LAYER",
    "Config",
    "ConfigLayer",
    "Document",
    "Duration",
    "HoconSyntaxError",
    "InvalidConfig",
    "InvalidValue",
    "KeySpec",
    "Schema",
    "Setting",
    "TypedValue",
    "UnknownKey",
    "bootstrap_config",
    "builtin_template",
    "dumps",
    "host_layer",
    "loads",
    "local_layers",
    "parse",
    "parse_ini",
    "read_ini",
    "template_layer",
]

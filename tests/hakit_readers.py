"""How supervisor reads its ini files, for the injection tests (issue 12).

Two readers with one interface: supervisor's own code (`supervisor.options`, when the package is
importable, e.g. PYTHONPATH pointing at `pip install --target DIR supervisor`), and a
reimplementation of the same steps for machines without it, copied from supervisor 4.x:
configparser with inline comments ';' and '#', '%(here)s' replaced in every file, Python
%-expansion, shlex.split for command=, datatypes.dict_of_key_value_pairs for environment=.
"""

from __future__ import annotations

import configparser
import importlib.util
import shlex
import socket
from pathlib import Path
from typing import Any

HAVE_SUPERVISOR = importlib.util.find_spec("supervisor") is not None
READERS = ["reimplementation", "supervisor"]


def dict_of_key_value_pairs(arg: str) -> dict[str, str]:
    """supervisor.datatypes.dict_of_key_value_pairs (4.x), verbatim in substance."""
    lexer = shlex.shlex(str(arg))
    lexer.wordchars += "/.+-():"
    tokens = list(lexer)
    found: dict[str, str] = {}
    i = 0
    while i < len(tokens):
        k_eq_v = tokens[i : i + 3]
        if len(k_eq_v) != 3 or k_eq_v[1] != "=":
            raise ValueError(f"Unexpected end of key/value pairs in value '{arg}'")
        found[k_eq_v[0]] = k_eq_v[2].strip("'\"")
        i += 4
    return found


def _parser(text: str, here: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(inline_comment_prefixes=(";", "#"), strict=False)
    parser.read_string(text)
    for section in parser.sections():  # UnhosedConfigParser.expand_here
        for key, value in parser.items(section):
            if "%(here)s" in value:
                parser.set(section, key, value.replace("%(here)s", here))
    return parser


def _program_reimplementation(text: str, name: str, here: str) -> dict[str, Any]:
    parser = _parser(text, here)
    section = f"program:{name}"
    expansions = {"here": here, "program_name": name, "group_name": name, "host_node_name": socket.gethostname()}
    expansions.update({"process_num": 0, "numprocs": 1})

    def get(key: str, default: str | None = None) -> str | None:
        value = parser.get(section, key, fallback=default)
        return None if value is None else value % expansions

    return {
        "argv": shlex.split(get("command") or ""),
        "environment": dict_of_key_value_pairs(get("environment", "") or ""),
        "directory": get("directory"),
        "user": get("user"),
        # expanded twice, as supervisor 4.x does (once by its get(), once more per process)
        "stdout_logfile": (get("stdout_logfile") or "") % expansions or None,
    }


def _program_supervisor(text: str, name: str, here: str) -> dict[str, Any]:
    from supervisor.options import ServerOptions, UnhosedConfigParser

    parser = UnhosedConfigParser()
    parser.read_string(text)
    parser.expand_here(here)
    options = ServerOptions()
    options.here = here
    config = options.processes_from_section(parser, f"program:{name}", name)[0]
    return {
        "argv": shlex.split(config.command),  # what ProcessConfig.get_execv_args does
        "environment": dict(config.environment or {}),
        "directory": config.directory,
        "user": parser.saneget(f"program:{name}", "user", None),
        "stdout_logfile": config.stdout_logfile,
    }


def read_program(reader: str, text: str, name: str, here: str = "/etc/supervisor/conf.d") -> dict[str, Any]:
    """What supervisor makes of the [program:NAME] section of `text`: argv, environment, ..."""
    if reader == "supervisor":
        return _program_supervisor(text, name, here)
    return _program_reimplementation(text, name, here)


def read_main(reader: str, path: Path) -> dict[str, Any]:
    """What supervisord and supervisorctl make of supervisord.conf at `path`."""
    if reader == "supervisor":
        from supervisor.options import ClientOptions, ServerOptions

        server = ServerOptions()
        server.configfile = str(path)
        server.process_config(do_usage=False)
        client = ClientOptions()
        client.configfile = str(path)
        client.process_config(do_usage=False)
        return {
            "socket": server.configroot.supervisord.server_configs[0]["file"],
            "logfile": server.logfile,
            "childlogdir": server.childlogdir,
            "serverurl": client.serverurl,
        }
    parser = _parser(path.read_text(encoding="utf-8"), str(path.parent))
    expansions = {"here": str(path.parent)}
    return {
        "socket": parser.get("unix_http_server", "file") % expansions,
        "logfile": parser.get("supervisord", "logfile") % expansions,
        "childlogdir": parser.get("supervisord", "childlogdir") % expansions,
        "serverurl": parser.get("supervisorctl", "serverurl") % expansions,
        "include": (parser.get("include", "files") % expansions).split(),
    }

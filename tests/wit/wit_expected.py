"""Elaborated worlds, verified against componentize-py 0.19.3.

Each set of interfaces below was checked against the modules
``componentize-py -d DIR -w WORLD bindings OUT`` generates (one module per elaborated
interface in ``wit_world/imports`` and ``wit_world/exports``); the order is
wit-parser's ``Resolve::elaborate_world`` order (dependencies before their users).
"""

from __future__ import annotations

ALL_IMPORTS = [
    "wasi:io/poll@0.2.3", "wasi:clocks/monotonic-clock@0.2.3",
    "wasi:clocks/wall-clock@0.2.3", "golem:rpc/types@0.2.2", "golem:api/host@1.1.7",
    "golem:api/context@1.1.7", "golem:api/oplog@1.1.7",
    "golem:durability/durability@1.2.1", "golem:rdbms/types@0.0.1",
    "golem:rdbms/postgres@0.0.1", "golem:rdbms/mysql@0.0.1", "wasi:io/error@0.2.3",
    "wasi:io/streams@0.2.3", "wasi:blobstore/types",
    "wasi:keyvalue/wasi-keyvalue-error@0.1.0", "wasi:keyvalue/types@0.1.0",
    "wasi:blobstore/container", "wasi:blobstore/blobstore", "wasi:cli/environment@0.2.3",
    "wasi:cli/exit@0.2.3", "wasi:cli/stdin@0.2.3", "wasi:cli/stdout@0.2.3",
    "wasi:cli/stderr@0.2.3", "wasi:cli/terminal-input@0.2.3",
    "wasi:cli/terminal-output@0.2.3", "wasi:cli/terminal-stdin@0.2.3",
    "wasi:cli/terminal-stdout@0.2.3", "wasi:cli/terminal-stderr@0.2.3",
    "wasi:config/store@0.2.0-draft", "wasi:filesystem/types@0.2.3",
    "wasi:filesystem/preopens@0.2.3", "wasi:http/types@0.2.3",
    "wasi:http/outgoing-handler@0.2.3", "wasi:keyvalue/eventual@0.1.0",
    "wasi:keyvalue/atomic@0.1.0", "wasi:keyvalue/eventual-batch@0.1.0",
    "wasi:keyvalue/cache@0.1.0", "wasi:logging/logging", "wasi:random/random@0.2.3",
    "wasi:random/insecure@0.2.3", "wasi:random/insecure-seed@0.2.3",
    "wasi:sockets/network@0.2.3", "wasi:sockets/instance-network@0.2.3",
    "wasi:sockets/tcp@0.2.3", "wasi:sockets/tcp-create-socket@0.2.3",
    "wasi:sockets/udp@0.2.3", "wasi:sockets/udp-create-socket@0.2.3",
    "wasi:sockets/ip-name-lookup@0.2.3",
]
ALL_EXPORTS = ["golem:api/save-snapshot@1.1.7", "golem:api/load-snapshot@1.1.7"]

#: The 48 module names componentize-py generates under wit_world/imports for
#: all-imports (a name is prefixed with namespace and package when two imported
#: interfaces share it).
ALL_IMPORT_MODULES = {
    "atomic", "blobstore", "cache", "container", "context", "durability", "environment",
    "error", "eventual", "eventual_batch", "exit", "golem_rdbms_types", "golem_rpc_types",
    "host", "insecure", "insecure_seed", "instance_network", "ip_name_lookup", "logging",
    "monotonic_clock", "mysql", "network", "oplog", "outgoing_handler", "poll",
    "postgres", "preopens", "random", "stderr", "stdin", "stdout", "store", "streams",
    "tcp", "tcp_create_socket", "terminal_input", "terminal_output", "terminal_stderr",
    "terminal_stdin", "terminal_stdout", "udp", "udp_create_socket", "wall_clock",
    "wasi_blobstore_types", "wasi_filesystem_types", "wasi_http_types",
    "wasi_keyvalue_error", "wasi_keyvalue_types",
}

#: world body -> (imports, exports), in elaboration order.
SMALL_WORLDS: dict[str, tuple[list[str], list[str]]] = {
    "import wasi:filesystem/types@0.2.3;": (
        ["wasi:io/error@0.2.3", "wasi:io/poll@0.2.3", "wasi:io/streams@0.2.3",
         "wasi:clocks/wall-clock@0.2.3", "wasi:filesystem/types@0.2.3"], []),
    "import golem:api/host@1.1.7;": (
        ["wasi:io/poll@0.2.3", "wasi:clocks/monotonic-clock@0.2.3",
         "wasi:clocks/wall-clock@0.2.3", "golem:rpc/types@0.2.2", "golem:api/host@1.1.7"],
        []),
    "export wasi:http/incoming-handler@0.2.3;": (
        ["wasi:io/poll@0.2.3", "wasi:clocks/monotonic-clock@0.2.3", "wasi:io/error@0.2.3",
         "wasi:io/streams@0.2.3", "wasi:http/types@0.2.3"],
        ["wasi:http/incoming-handler@0.2.3"]),
    "export golem:api/oplog-processor@1.1.7;": (
        ["wasi:clocks/wall-clock@0.2.3", "wasi:io/poll@0.2.3", "golem:rpc/types@0.2.2",
         "wasi:clocks/monotonic-clock@0.2.3", "golem:api/host@1.1.7",
         "golem:api/context@1.1.7", "golem:api/oplog@1.1.7"],
        ["golem:api/oplog-processor@1.1.7"]),
    "include wasi:http/proxy@0.2.3;": (
        ["wasi:io/poll@0.2.3", "wasi:clocks/monotonic-clock@0.2.3",
         "wasi:clocks/wall-clock@0.2.3", "wasi:random/random@0.2.3", "wasi:io/error@0.2.3",
         "wasi:io/streams@0.2.3", "wasi:cli/stdout@0.2.3", "wasi:cli/stderr@0.2.3",
         "wasi:cli/stdin@0.2.3", "wasi:http/types@0.2.3",
         "wasi:http/outgoing-handler@0.2.3"],
        ["wasi:http/incoming-handler@0.2.3"]),
    "include wasi:cli/command@0.2.3;": (
        ["wasi:cli/environment@0.2.3", "wasi:cli/exit@0.2.3", "wasi:io/error@0.2.3",
         "wasi:io/poll@0.2.3", "wasi:io/streams@0.2.3", "wasi:cli/stdin@0.2.3",
         "wasi:cli/stdout@0.2.3", "wasi:cli/stderr@0.2.3", "wasi:cli/terminal-input@0.2.3",
         "wasi:cli/terminal-output@0.2.3", "wasi:cli/terminal-stdin@0.2.3",
         "wasi:cli/terminal-stdout@0.2.3", "wasi:cli/terminal-stderr@0.2.3",
         "wasi:clocks/monotonic-clock@0.2.3", "wasi:clocks/wall-clock@0.2.3",
         "wasi:filesystem/types@0.2.3", "wasi:filesystem/preopens@0.2.3",
         "wasi:sockets/network@0.2.3", "wasi:sockets/instance-network@0.2.3",
         "wasi:sockets/udp@0.2.3", "wasi:sockets/udp-create-socket@0.2.3",
         "wasi:sockets/tcp@0.2.3", "wasi:sockets/tcp-create-socket@0.2.3",
         "wasi:sockets/ip-name-lookup@0.2.3", "wasi:random/random@0.2.3",
         "wasi:random/insecure@0.2.3", "wasi:random/insecure-seed@0.2.3"],
        ["wasi:cli/run@0.2.3"]),
    # a world-level `use` pulls its interface in before the type; functions come last
    ("use wasi:io/streams@0.2.3.{input-stream};\n"
     "import f: func(s: input-stream);\n"
     "import wasi:random/random@0.2.3;\n"
     "export wasi:io/streams@0.2.3;"): (
        ["wasi:random/random@0.2.3", "wasi:io/error@0.2.3", "wasi:io/poll@0.2.3",
         "wasi:io/streams@0.2.3", "input-stream", "f"],
        ["wasi:io/streams@0.2.3"]),
}

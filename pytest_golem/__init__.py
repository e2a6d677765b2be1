"""pytest plugin for golem-fakes (entry point ``pytest11: golem``); logic lives in
:mod:`golem_fakes`, this package only wires it into pytest."""

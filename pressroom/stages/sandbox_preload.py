"""Imported by the fork server that sandbox processes are forked from
(``pressroom.execution.sandbox``): loads the code, libraries and data of the stages that work in
sandboxes (extraction's libraries and language-identification model, repair's lexicon and
language model) once, so that every sandbox forked from it starts warm instead of loading them
again (about two seconds each)."""

import contextlib

from pressroom.stages.sandboxes import warm_up

with contextlib.suppress(Exception):  # each sandbox's own warm-up reports a broken set-up
    warm_up()
